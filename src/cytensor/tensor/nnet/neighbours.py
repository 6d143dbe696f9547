"""Image patches as rows: ``images2neibs`` and its inverse ``neibs2images``
(Theano's ``theano.tensor.nnet.neighbours``).

``images2neibs(ten4, (h, w), step, mode)`` cuts every (h, w) patch of each
image of a (batch, channels, rows, cols) tensor into one row of h*w values,
patches in row-major order per image.  Modes, as in Theano:

- 'valid': the patches must tile the image exactly (an error otherwise);
- 'ignore_borders': patches that would run past the border are left out;
- 'wrap_centered': one patch centred on every step-th pixel, wrapping
  around the edges (odd patch shapes);
- 'half' / 'full': 'valid' on the image padded with zeros by h//2 (h-1)
  rows and w//2 (w-1) columns on each side.

Both directions are one gather (or scatter-add) through precomputed index
grids, done by NumPy; each is the other's gradient.
"""
import numpy as np

from ...graph import Apply, Op
from ..basic import as_shape_vector
from ..type import TensorType, as_tensor_variable

MODES = ("valid", "ignore_borders", "wrap_centered", "half", "full")


def _pair(v, what):
    v = tuple(int(i) for i in v)
    if len(v) != 2 or min(v) < 1:
        raise ValueError(f"images2neibs: {what} must be two positive ints, got {v}")
    return v


def _axis_grid(length, patch, step, mode):
    """(index into the padded axis for each patch and offset, padding)."""
    if mode == "wrap_centered":
        starts = np.arange(0, length, step) - patch // 2
        return (starts[:, None] + np.arange(patch)) % length, 0
    pad = {"half": patch // 2, "full": patch - 1}.get(mode, 0)
    padded = length + 2 * pad
    # As in Theano, 'half' and 'full' are 'valid' on the padded image, and
    # need an image at least as large as the patch.
    if mode != "ignore_borders" and (length < patch or (padded - patch) % step):
        raise ValueError(f"images2neibs in mode {mode!r}: a patch of {patch} with step "
                         f"{step} does not tile an axis of length {length}"
                         f"{f' padded by {pad}' if pad else ''}; use "
                         "mode='ignore_borders' to drop the remainder")
    count = max(0, (padded - patch) // step + 1)
    return np.arange(count)[:, None] * step + np.arange(patch), pad


class _Neighbours(Op):
    __props__ = ("neib_shape", "neib_step", "mode")

    def __init__(self, neib_shape, neib_step=None, mode="valid"):
        if mode not in MODES:
            raise ValueError(f"images2neibs: mode must be one of {', '.join(MODES)}, "
                             f"got {mode!r}")
        self.neib_shape = _pair(neib_shape, "neib_shape")
        self.neib_step = _pair(neib_step if neib_step is not None else neib_shape,
                               "neib_step")
        self.mode = mode
        if mode == "wrap_centered" and any(p % 2 == 0 for p in self.neib_shape):
            raise TypeError("images2neibs in mode 'wrap_centered' needs odd patch shapes, "
                            f"got {self.neib_shape}")

    def grids(self, image_shape):
        """Row and column index grids, broadcast to (n_rows, n_cols, h, w), and the padding."""
        rows, pad_r = _axis_grid(image_shape[2], self.neib_shape[0], self.neib_step[0],
                                 self.mode)
        cols, pad_c = _axis_grid(image_shape[3], self.neib_shape[1], self.neib_step[1],
                                 self.mode)
        if self.mode == "wrap_centered" and (image_shape[2] < self.neib_shape[0]
                                             or image_shape[3] < self.neib_shape[1]):
            raise ValueError(f"images2neibs in mode 'wrap_centered': images of shape "
                             f"{image_shape[2:]} are smaller than the patch {self.neib_shape}")
        return rows[:, None, :, None], cols[None, :, None, :], pad_r, pad_c


class Images2Neibs(_Neighbours):
    """The (h, w) patches of each image, one per row (see the module docstring).

    Made by :func:`images2neibs`.

    Parameters
    ----------
    neib_shape : pair of int
        The patch's rows and columns.
    neib_step : pair of int, optional
        Steps between patches (default: the patch).
    mode : str
        As for images2neibs.

    Raises
    ------
    ValueError
        For a patch or step that is not two positive ints.

    Examples
    --------
    >>> images = T.dtensor4('images')
    >>> print(T.nnet.images2neibs(images, (2, 2)).owner.op)
    Images2Neibs{neib_shape=(2, 2), neib_step=(2, 2), mode='valid'}
    """

    def make_node(self, ten4):
        ten4 = as_tensor_variable(ten4)
        if ten4.ndim != 4:
            raise TypeError(f"images2neibs takes a 4-d (batch, channels, rows, cols) "
                            f"tensor, got {ten4} with {ten4.ndim} dims")
        patch = self.neib_shape[0] * self.neib_shape[1]
        return Apply(self, [ten4], [TensorType(ten4.dtype, shape=(None, patch))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, ten4):
        rows, cols, pad_r, pad_c = self.grids(ten4.shape)
        padded = np.pad(ten4, ((0, 0), (0, 0), (pad_r, pad_r), (pad_c, pad_c)))
        patches = padded[:, :, rows, cols]         # (batch, channels, nr, nc, h, w)
        return (patches.reshape(-1, self.neib_shape[0] * self.neib_shape[1]),)

    def grad(self, inputs, output_grads):
        (ten4,), (g,) = inputs, output_grads
        if not ten4.dtype.startswith("float"):
            return [None]
        return [Neibs2Images(self.neib_shape, self.neib_step, self.mode)(g, ten4.shape)]


class Neibs2Images(_Neighbours):
    """Rows of patches added back into images of ``image_shape`` (the adjoint
    of Images2Neibs: where patches overlap their values add up).

    Made by :func:`neibs2images`, and the gradient of :class:`Images2Neibs`.

    Parameters
    ----------
    neib_shape : pair of int
        The patch's rows and columns.
    neib_step : pair of int, optional
        Steps between patches (default: the patch).
    mode : str
        As for images2neibs.

    Examples
    --------
    >>> patches = T.dmatrix('patches')
    >>> print(T.nnet.neibs2images(patches, (2, 2), (1, 1, 4, 4)).owner.op)
    Neibs2Images{neib_shape=(2, 2), neib_step=(2, 2), mode='valid'}
    """

    def make_node(self, neibs, image_shape):
        neibs = as_tensor_variable(neibs)
        image_shape = as_tensor_variable(image_shape)
        if neibs.ndim != 2 or image_shape.ndim != 1:
            raise TypeError(f"neibs2images takes a matrix of patches and a shape vector, "
                            f"got {neibs} and {image_shape}")
        return Apply(self, [neibs, image_shape], [TensorType(neibs.dtype, shape=(None,) * 4)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, neibs, image_shape):
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) != 4:
            raise ValueError(f"neibs2images: the image shape must have 4 lengths, "
                             f"got {image_shape}")
        rows, cols, pad_r, pad_c = self.grids(image_shape)
        batch, channels = image_shape[:2]
        grid = np.broadcast_shapes(rows.shape, cols.shape)
        if neibs.shape != (batch * channels * grid[0] * grid[1], grid[2] * grid[3]):
            raise ValueError(f"neibs2images: {neibs.shape[0]} patches of {neibs.shape[1]} "
                             f"values do not fit images of shape {image_shape} "
                             f"(expected {batch * channels * grid[0] * grid[1]} of "
                             f"{grid[2] * grid[3]})")
        padded = np.zeros((batch, channels, image_shape[2] + 2 * pad_r,
                           image_shape[3] + 2 * pad_c), dtype=neibs.dtype)
        np.add.at(padded, (slice(None), slice(None), rows, cols),
                  neibs.reshape((batch, channels) + grid))
        return (padded[:, :, pad_r:padded.shape[2] - pad_r,
                       pad_c:padded.shape[3] - pad_c].copy(),)

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        return [Images2Neibs(self.neib_shape, self.neib_step, self.mode)(g), None]


def images2neibs(ten4, neib_shape, neib_step=None, mode="valid"):
    """The ``neib_shape`` patches of each image of ``ten4``, one per row.

    Parameters
    ----------
    ten4 : TensorVariable
        Images, (batch, channels, rows, cols).
    neib_shape : pair of int
        The patch's rows and columns.
    neib_step : pair of int, optional
        Steps between patches (default: the patch, so they do not overlap).
    mode : {'valid', 'ignore_borders', 'half', 'full', 'wrap_centered'}
        How patches meet the border.

    Returns
    -------
    TensorVariable
        A matrix: one patch, flattened, per row.

    Raises
    ------
    ValueError
        For a patch or step that is not two positive ints, or (when the
        function runs) patches that do not tile an image in 'valid' mode.

    Examples
    --------
    >>> images = T.dtensor4('images')
    >>> patches = T.nnet.images2neibs(images, (2, 2))
    >>> theano.function([images], patches)(numpy.arange(16.0).reshape(1, 1, 4, 4))
    array([[ 0.,  1.,  4.,  5.],
           [ 2.,  3.,  6.,  7.],
           [ 8.,  9., 12., 13.],
           [10., 11., 14., 15.]])
    """
    return Images2Neibs(neib_shape, neib_step, mode)(ten4)


def neibs2images(neibs, neib_shape, original_shape, mode="valid"):
    """Images of ``original_shape`` from the non-overlapping patches
    ``images2neibs(images, neib_shape, mode=mode)`` gave; with
    'ignore_borders' the border no patch covered is zero.

    Parameters
    ----------
    neibs : TensorVariable
        The patches, one per row.
    neib_shape : pair of int
        The patch's rows and columns.
    original_shape : sequence of int or int vector
        The images' shape.
    mode : {'valid', 'ignore_borders'}
        As given to images2neibs.

    Returns
    -------
    TensorVariable
        The images.

    Examples
    --------
    >>> images = T.dtensor4('images')
    >>> patches = T.nnet.images2neibs(images, (2, 2))
    >>> back = T.nnet.neibs2images(patches, (2, 2), images.shape)
    >>> value = numpy.arange(16.0).reshape(1, 1, 4, 4)
    >>> bool((theano.function([images], back)(value) == value).all())
    True
    """
    if isinstance(original_shape, (list, tuple)):
        original_shape = as_shape_vector(original_shape)[0]
    return Neibs2Images(neib_shape, neib_shape, mode)(neibs, original_shape)
