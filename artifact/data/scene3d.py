"""The Shapes3D scene seen by the camera: how much of each pixel is floor, wall, object and sky,
and how brightly each is lit, for the 8 scales x 4 shapes x 15 orientations = 480 geometries.

The official images (../shared/reference/3dshapes.gif) show one object standing on a floor in a
room: a back wall and two side walls of finite height, light sky above them; orientation (15
values in [-30, 30] degrees) swings the camera around the object's vertical axis, so one corner
of the room comes into view at either end. The three hue factors never change the geometry, so
colours are applied afterwards (`render_shapes3d`) as weights x colours.

Camera, room, orientation swing, object sizes and lighting were fitted to the official frames'
pixels (RMSE of the frames at their known latents; docs/data.md, "Fitted geometry"). Two point
lights turn with the camera, as the official shadow keeps its place in the picture: a fill light
behind the camera that casts no shadow (it lights every face the camera sees) and a key light high
above and just behind the object that casts the dark shadow onto the floor under and in front of it. Each pixel averages
4 x 4 rays (anti-aliasing), and a Gaussian of 0.65 px then softens the picture as the official
frames are soft: their edges spread over about two pixels.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from artifact.data.raycast import SHAPES, _dot, hit_object, rays_near
from artifact.data.spec import IMAGE_SIZE

SCALES = np.linspace(0.75, 1.25, 8)  # the label values of the official file
# The official labels say -30..30 degrees; the camera swing that reproduces the official frames
# is slightly smaller (fitted; the room size trades off against it).
SWING_DEG = 28.39
ORIENTATIONS_DEG = np.linspace(-SWING_DEG, SWING_DEG, 15)
FLOOR, WALL, OBJECT, SKY = 0, 1, 2, 3
WEIGHT_ONE = 4096  # fixed point: a weight of 4096 is the whole pixel at full brightness
SUPERSAMPLE = 4
# The official frames are softer than a box of rays per pixel gives: the wall's top, the floor
# line, the object's outline and the shadow's rim spread over about two pixels. Blurring the
# weights (so the picture) with a Gaussian of this many pixels fits them best (fitted over the 53
# reference frames at their walk latents: RMSE median 0.0612 sharp, 0.0553 at 0.6, 0.0552 at 0.65,
# 0.0552 at 0.7; docs/data.md). Not the GIF's doing: its upscaling is nearest-neighbour, and the
# box filter of `fidelity.load_reference` undoes it losslessly.
SOFTEN_SIGMA_PX = 0.65

# Fitted to the official frames (world units: the floor is y = 0, the object at the origin).
CAMERA_DISTANCE, CAMERA_HEIGHT, TARGET_HEIGHT = 3.84, 1.545, 1.146
FIELD_OF_VIEW_DEG = 48.74
BACK_WALL_Z, SIDE_WALL_X, WALL_HEIGHT = -3.094, 3.381, 2.226
# Point lights in the camera's frame (right, up, back from the eye), turning with it.
FILL_IN_CAMERA = np.array([0.11, -0.085, 4.294])  # casts no shadow
KEY_IN_CAMERA = np.array([-1.142, 7.077, -4.559])  # casts the shadow
# Brightness = ambient + fill * cos(fill) + key * cos(key) (key 0 in shadow), saturating at 1.
ROOM_LEVELS = (0.301, 0.494, 0.583)  # ambient, fill, key of floor and walls
OBJECT_LEVELS = (0.446, 0.5, 0.781)  # the same for the object


def _camera(orientation_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eye [3] and the camera's unit forward, right and up vectors."""
    theta = np.deg2rad(orientation_deg)
    eye = np.array(
        [CAMERA_DISTANCE * np.sin(theta), CAMERA_HEIGHT, CAMERA_DISTANCE * np.cos(theta)]
    )
    forward = np.array([0.0, TARGET_HEIGHT, 0.0]) - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    return eye, forward, right, np.cross(right, forward)


def light_position(orientation_deg: float, in_camera: np.ndarray) -> np.ndarray:
    """World position of a light given in the camera's frame (horizontal right, up, back)."""
    eye, _, _, _ = _camera(orientation_deg)
    theta = np.deg2rad(orientation_deg)
    right = np.array([np.cos(theta), 0.0, -np.sin(theta)])  # horizontal right of the camera
    back = np.array([np.sin(theta), 0.0, np.cos(theta)])
    x, y, z = in_camera
    return eye + x * right + np.array([0.0, y, 0.0]) + z * back


def camera_rays(orientation_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Eye [3] and unit ray directions [R, 3], R = 16 * 64 * 64, ordered (sub-row, sub-column,
    row, column) so that a pixel's 16 rays are 4096 apart and averaging them is a cheap sum."""
    eye, forward, right, up = _camera(orientation_deg)
    half = np.tan(np.deg2rad(FIELD_OF_VIEW_DEG) / 2)
    n, k = IMAGE_SIZE, SUPERSAMPLE
    sub = (np.arange(k) + 0.5) / k  # sub-pixel offsets within a pixel
    steps = ((np.arange(n)[None, :] + sub[:, None]) / n * 2.0 - 1.0) * half  # [k, n]
    x = steps[None, :, None, :]  # [1, k, 1, n]: sub-column, column
    y = -steps[:, None, :, None]  # [k, 1, n, 1]: sub-row, row (image rows go down)
    directions = forward + x[..., None] * right + y[..., None] * up  # [k, k, n, n, 3]
    directions = directions.reshape(-1, 3)
    return eye, directions / np.sqrt(_dot(directions, directions))[:, None]


def _background(eye: np.ndarray, d: np.ndarray):
    """Where each ray meets the room: t [R], label [R] (FLOOR, WALL or SKY), normal [R, 3]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = np.where(d[:, 1] < 0, -eye[1] / d[:, 1], np.inf)
        walls = np.stack([
            np.where(d[:, 2] < 0, (BACK_WALL_Z - eye[2]) / d[:, 2], np.inf),
            np.where(d[:, 0] < 0, (-SIDE_WALL_X - eye[0]) / d[:, 0], np.inf),
            np.where(d[:, 0] > 0, (SIDE_WALL_X - eye[0]) / d[:, 0], np.inf),
        ])  # fmt: skip
    which = walls.argmin(0)
    t_wall = walls.min(0)
    on_floor = t_floor < t_wall
    height = eye[1] + t_wall * d[:, 1]
    label = np.where(on_floor, FLOOR, np.where(height <= WALL_HEIGHT, WALL, SKY))
    wall_normals = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
    normal = np.where(on_floor[:, None], [0.0, 1.0, 0.0], wall_normals[which])
    t = np.where(on_floor, t_floor, np.where(label == SKY, 1e3, t_wall))
    return t, label, normal


def _cosine(point: np.ndarray, normal: np.ndarray, light: np.ndarray) -> np.ndarray:
    """cos(angle between the normal and the way to the light), 0 for faces turned away."""
    to_light = light - point
    length = np.sqrt(np.maximum(_dot(to_light, to_light), 1e-12))
    return np.maximum(_dot(normal, to_light) / length, 0.0)


def _brightness(levels, fill_cos: np.ndarray, key_cos: np.ndarray) -> np.ndarray:
    ambient, fill, key = levels
    return np.minimum(ambient + fill * fill_cos + key * key_cos, 1.0)


def soften(pixels: np.ndarray, sigma: float = SOFTEN_SIGMA_PX) -> np.ndarray:
    """Separable Gaussian blur of float weights [..., 64, 64, labels] over the two image axes,
    the border pixels repeated outward. The taps sum to 1, so each pixel's weights keep their sum
    (the colours stay a convex mix)."""
    if sigma <= 0:
        return pixels
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    for axis in (-3, -2):
        widths = [(0, 0)] * pixels.ndim
        widths[axis] = (radius, radius)
        padded = np.pad(pixels, widths, mode="edge")
        n = pixels.shape[axis]
        pixels = sum(tap * padded.take(np.arange(i, i + n), axis) for i, tap in enumerate(taps))
    return pixels


def shade_views(orientation_deg: float, sigma: float = SOFTEN_SIGMA_PX) -> np.ndarray:
    """Weights of floor, wall, object and sky in each pixel, for every shape and scale seen from
    one orientation, softened by a Gaussian of `sigma` pixels (0: the sharp box of rays):
    uint16 [4 shapes, 8 scales, 64, 64, 4 labels].

    A weight is coverage times brightness in fixed point (WEIGHT_ONE: the whole pixel, fully lit);
    a pixel's colour is sum_l weight_l * colour_l / WEIGHT_ONE (the sky is unlit: coverage only).
    """
    eye, d = camera_rays(orientation_deg)
    fill = light_position(orientation_deg, FILL_IN_CAMERA)
    key = light_position(orientation_deg, KEY_IN_CAMERA)
    t_back, label, plane_normal = _background(eye, d)
    point = eye + t_back[:, None] * d  # [R, 3] where each ray meets floor, wall or sky
    to_key = key - point
    key_distance = np.sqrt(_dot(to_key, to_key))
    to_key /= key_distance[:, None]
    fill_cos, key_cos = _cosine(point, plane_normal, fill), _cosine(point, plane_normal, key)
    lit = _brightness(ROOM_LEVELS, fill_cos, key_cos)
    weights = np.zeros((len(SHAPES), len(SCALES), len(d), 4), dtype=np.float32)
    for plane in (FLOOR, WALL):
        weights[..., plane] = np.where(label == plane, lit, 0.0)
    weights[..., SKY] = label == SKY
    solid = np.flatnonzero(label != SKY)
    for shape, view in zip(SHAPES, weights, strict=True):  # view [S, R, 4]
        rays = solid[rays_near(shape, point[solid], to_key[solid])]  # points it may shade
        t_block, _ = hit_object(shape, point[rays], to_key[rays][None], SCALES)
        in_shadow = t_block < key_distance[rays]  # [S, n]
        shade = _brightness(ROOM_LEVELS, fill_cos[rays], np.where(in_shadow, 0.0, key_cos[rays]))
        for plane in (FLOOR, WALL):
            view[:, rays, plane] = np.where(label[rays] == plane, shade, 0.0)

        rays = rays_near(shape, eye, d)  # camera rays that may meet the object
        t_object, normal = hit_object(shape, eye, d[rays][None], SCALES)
        on_object = t_object < t_back[rays]  # [S, n]
        object_point = eye + np.where(on_object, t_object, 0.0)[..., None] * d[rays]
        for other in (FLOOR, WALL, SKY):
            view[:, rays, other] = np.where(on_object, 0.0, view[:, rays, other])
        object_lit = _brightness(
            OBJECT_LEVELS, _cosine(object_point, normal, fill), _cosine(object_point, normal, key)
        )
        view[:, rays, OBJECT] = np.where(on_object, object_lit, 0.0)
    k2, n = SUPERSAMPLE**2, IMAGE_SIZE
    pixels = weights.reshape(len(SHAPES), len(SCALES), k2, n, n, 4).sum(2, dtype=np.float64)
    return np.round(soften(pixels * (WEIGHT_ONE / k2), sigma)).astype(np.uint16)


def shade_orientations(orientation_ids, sigma: float = SOFTEN_SIGMA_PX) -> dict[int, np.ndarray]:
    """`shade_views` of several orientations (indices into ORIENTATIONS_DEG), computed in
    threads: numpy releases the GIL in array arithmetic, and each view is independent."""
    ids = sorted({int(o) for o in orientation_ids})
    with ThreadPoolExecutor(max_workers=max(1, torch.get_num_threads())) as pool:
        views = pool.map(lambda o: shade_views(ORIENTATIONS_DEG[o], sigma), ids)
        return dict(zip(ids, views, strict=True))


def geometry_table(sigma: float = SOFTEN_SIGMA_PX) -> np.ndarray:
    """Weights of all 480 geometries in grid order (scale, shape, orientation), softened by
    `sigma` pixels: uint16 [8 * 4 * 15, 64, 64, 4 labels]."""
    views = shade_orientations(range(len(ORIENTATIONS_DEG)), sigma)
    table = np.stack([views[o] for o in range(len(ORIENTATIONS_DEG))], 2)  # [4, 8, 15, ...]
    return table.transpose(1, 0, 2, 3, 4, 5).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 4)
