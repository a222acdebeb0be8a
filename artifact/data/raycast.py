"""Ray intersections with the four Shapes3D objects, vectorised over rays and scales.

The object stands on the floor (y = 0) at the origin, upright (y up); its sizes are linear in the
scale factor. Rays are origins `o` and unit directions `d` of shape [.., R, 3] (an origin may be a
single point [3]); sizes are [S, 1], so every result is [S, R]: the ray parameter t of the first
hit (inf: none) and the outward unit normal there [S, R, 3].
"""

from __future__ import annotations

import numpy as np

CUBE, CYLINDER, SPHERE, CAPSULE = 0, 1, 2, 3
SHAPES = (CUBE, CYLINDER, SPHERE, CAPSULE)
_EPS = 1e-6  # hits closer than this are the ray's own starting surface


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def _on_axis(height: np.ndarray) -> np.ndarray:
    """Points (0, height, 0) [S, 1, 3] for heights [S, 1]."""
    zero = np.zeros_like(height)
    return np.stack([zero, height, zero], -1)


def _nearest(*hits: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per ray, the nearest of several (t, normal) hits: the first surface of their union."""
    ts = np.stack([t for t, _ in hits])  # [H, S, R]
    which = ts.argmin(0)[None]
    t = np.take_along_axis(ts, which, 0)[0]
    normals = np.stack([np.broadcast_to(normal, t.shape + (3,)) for _, normal in hits])
    return t, np.take_along_axis(normals, which[..., None], 0)[0]


def _sphere(o, d, centre_y, radius):
    """Sphere of `radius` centred at (0, centre_y, 0)."""
    centre = _on_axis(centre_y)
    oc = o - centre
    b = _dot(oc, d)
    disc = b * b - (_dot(oc, oc) - radius**2)
    t = -b - np.sqrt(np.maximum(disc, 0.0))
    t = np.where((disc >= 0) & (t > _EPS), t, np.inf)
    point = o + np.where(np.isfinite(t), t, 0.0)[..., None] * d
    return t, (point - centre) / radius[..., None]


def _tube(o, d, radius, y_low, y_high):
    """Open vertical tube x^2 + z^2 = radius^2 between two heights."""
    a = d[..., 0] ** 2 + d[..., 2] ** 2
    b = o[..., 0] * d[..., 0] + o[..., 2] * d[..., 2]
    disc = b * b - a * (o[..., 0] ** 2 + o[..., 2] ** 2 - radius**2)
    t = (-b - np.sqrt(np.maximum(disc, 0.0))) / np.maximum(a, 1e-12)
    y = o[..., 1] + t * d[..., 1]
    t = np.where((disc >= 0) & (t > _EPS) & (y >= y_low) & (y <= y_high), t, np.inf)
    point = o + np.where(np.isfinite(t), t, 0.0)[..., None] * d
    return t, point * np.array([1.0, 0.0, 1.0]) / radius[..., None]


def _top_disc(o, d, radius, height):
    """Horizontal disc of `radius` at `height`, facing up (the cylinder's top)."""
    t = (height - o[..., 1]) / np.where(d[..., 1] == 0, 1e-12, d[..., 1])
    x, z = o[..., 0] + t * d[..., 0], o[..., 2] + t * d[..., 2]
    t = np.where((t > _EPS) & (x * x + z * z <= radius**2), t, np.inf)
    return t, np.array([0.0, 1.0, 0.0])


def _box(o, d, half):
    """Axis-aligned cube of half side `half` resting on the floor (slab method)."""
    low = np.stack([-half, 0 * half, -half], -1)  # [S, 1, 3]
    high = np.stack([half, 2 * half, half], -1)
    safe = np.where(d == 0, 1e-12, d)
    t1, t2 = (low - o) / safe, (high - o) / safe  # [S, R, 3]
    near = np.minimum(t1, t2)
    t_in, t_out = near.max(-1), np.maximum(t1, t2).min(-1)
    t = np.where((t_in <= t_out) & (t_in > _EPS), t_in, np.inf)
    face = near.argmax(-1)[..., None]  # the slab entered last holds the face that was hit
    normal = np.zeros(t.shape + (3,))
    toward = np.take_along_axis(np.broadcast_to(d, normal.shape), face, -1)
    np.put_along_axis(normal, face, -np.sign(toward), -1)
    return t, normal


# Object dimensions per unit of the scale factor (world units: the fitted room of `scene3d`).
# Fitted with the camera, room and lights to the official frames' pixels (cube: the orientation
# sweep; cylinder, sphere: one frame each; capsule: the scale sweep; docs/data.md, "Fitted geometry").
SIZE = 0.5  # the cube's half side at scale 1
CYLINDER_DIMS = (1.143, 2.2)  # radius, height, in units of SIZE
SPHERE_RADIUS = 1.307
CAPSULE_DIMS = (0.993, 1.925)  # radius, length of the straight part


def hit_object(shape: int, o: np.ndarray, d: np.ndarray, scale: np.ndarray):
    """First hit of rays (o, d) with `shape` at each scale [S]: t [S, R], normal [S, R, 3]."""
    s = SIZE * np.asarray(scale, dtype=np.float64)[:, None]  # [S, 1]
    if shape == CUBE:
        return _box(o, d, s)
    if shape == SPHERE:
        return _sphere(o, d, SPHERE_RADIUS * s, SPHERE_RADIUS * s)
    if shape == CYLINDER:
        radius, height = CYLINDER_DIMS[0] * s, CYLINDER_DIMS[1] * s
        return _nearest(_tube(o, d, radius, 0 * s, height), _top_disc(o, d, radius, height))
    radius, length = CAPSULE_DIMS[0] * s, CAPSULE_DIMS[1] * s  # a tube between two hemispheres
    return _nearest(
        _tube(o, d, radius, radius, radius + length),
        _sphere(o, d, radius, radius),
        _sphere(o, d, radius + length, radius),
    )


def _bounds(shape: int, scale: float) -> tuple[float, float]:
    """A sphere (centre height, radius) holding the object at `scale`, with a 10% margin."""
    s = SIZE * scale
    if shape == CUBE:
        half_width, height = s, 2 * s
    elif shape == SPHERE:
        half_width, height = SPHERE_RADIUS * s, 2 * SPHERE_RADIUS * s
    elif shape == CYLINDER:
        half_width, height = CYLINDER_DIMS[0] * s, CYLINDER_DIMS[1] * s
    else:
        half_width, height = CAPSULE_DIMS[0] * s, (2 * CAPSULE_DIMS[0] + CAPSULE_DIMS[1]) * s
    return height / 2, 1.1 * float(np.hypot(np.sqrt(2) * half_width, height / 2))


def rays_near(shape: int, o: np.ndarray, d: np.ndarray, scale: float = 1.25) -> np.ndarray:
    """Indices of the rays [R] passing through the bounding sphere of the shape at its largest
    scale; the others miss it, so exact tests run on these only."""
    height, radius = _bounds(shape, scale)
    to_centre = np.array([0.0, height, 0.0]) - o
    along = np.maximum(_dot(to_centre, d), 0.0)
    return np.flatnonzero(_dot(to_centre, to_centre) - along**2 < radius**2)
