"""The Shapes3D scene seen by the camera: how much of each pixel is floor, wall and object, and
how brightly each is lit, for the 8 scales x 4 shapes x 15 orientations = 480 geometries.

Shapes3D (Burgess & Kim 2018) shows one object standing on a floor in front of a wall, in
perspective; orientation (15 values in [-30, 30] degrees) turns the view around the object's
vertical axis, so floor and wall swing with it. The three hue factors never change the geometry,
so the colours are applied afterwards (`render_shapes3d`) as weights x colours.

Each pixel averages 4 x 4 rays (anti-aliasing). Lighting: ambient plus a Lambertian point light
above, in front of and left of the object; floor and wall points the object hides from the
light are darker (its shadow). Camera, light and sizes are our choices, the official renderer
being unpublished (docs/interpretations.md, "Data").
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from artifact.data.raycast import SHAPES, _dot, hit_object, rays_near
from artifact.data.spec import IMAGE_SIZE

SCALES = np.linspace(0.75, 1.25, 8)  # the label values of the official file
ORIENTATIONS_DEG = np.linspace(-30.0, 30.0, 15)
FLOOR, WALL, OBJECT = 0, 1, 2
WEIGHT_ONE = 4096  # fixed point: a weight of 4096 is the whole pixel at full brightness
SUPERSAMPLE = 4

CAMERA_DISTANCE, CAMERA_HEIGHT, TARGET_HEIGHT = 4.2, 2.1, 0.55
FIELD_OF_VIEW_DEG = 42.0
WALL_Z = -2.6  # the wall is the plane z = WALL_Z, facing the camera
LIGHT = np.array([-1.2, 4.0, 2.5])  # point light, world coordinates (y up)
AMBIENT_PLANE, DIFFUSE_PLANE, SHADOW = 0.45, 0.55, 0.5
AMBIENT_OBJECT, DIFFUSE_OBJECT = 0.4, 0.6


def camera_rays(orientation_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Eye [3] and unit ray directions [R, 3], R = 16 * 64 * 64, ordered (sub-row, sub-column,
    row, column) so that a pixel's 16 rays are 4096 apart and averaging them is a cheap sum."""
    theta = np.deg2rad(orientation_deg)
    eye = np.array(
        [CAMERA_DISTANCE * np.sin(theta), CAMERA_HEIGHT, CAMERA_DISTANCE * np.cos(theta)]
    )
    forward = np.array([0.0, TARGET_HEIGHT, 0.0]) - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    half = np.tan(np.deg2rad(FIELD_OF_VIEW_DEG) / 2)
    n, k = IMAGE_SIZE, SUPERSAMPLE
    sub = (np.arange(k) + 0.5) / k  # sub-pixel offsets within a pixel
    steps = ((np.arange(n)[None, :] + sub[:, None]) / n * 2.0 - 1.0) * half  # [k, n]
    x = steps[None, :, None, :]  # [1, k, 1, n]: sub-column, column
    y = -steps[:, None, :, None]  # [k, 1, n, 1]: sub-row, row (image rows go down)
    directions = forward + x[..., None] * right + y[..., None] * up  # [k, k, n, n, 3]
    directions = directions.reshape(-1, 3)
    return eye, directions / np.sqrt(_dot(directions, directions))[:, None]


def _lambert(point: np.ndarray, normal: np.ndarray) -> np.ndarray:
    to_light = LIGHT - point
    return np.maximum(_dot(normal, to_light) / np.sqrt(_dot(to_light, to_light)), 0.0)


def shade_views(orientation_deg: float) -> np.ndarray:
    """Weights of floor, wall and object in each pixel, for every shape and scale seen from one
    orientation: uint16 [4 shapes, 8 scales, 64, 64, 3].

    A weight is coverage times brightness in fixed point (WEIGHT_ONE: the whole pixel, fully lit);
    a pixel's colour is sum_l weight_l * colour_l / WEIGHT_ONE.
    """
    eye, d = camera_rays(orientation_deg)
    with np.errstate(divide="ignore"):
        t_floor = np.where(d[:, 1] < 0, -eye[1] / d[:, 1], np.inf)
        t_wall = np.where(d[:, 2] < 0, (WALL_Z - eye[2]) / d[:, 2], np.inf)
    on_wall = t_wall < t_floor  # [R]
    t_back = np.minimum(t_floor, t_wall)
    point = eye + t_back[:, None] * d  # [R, 3] where each ray meets floor or wall
    to_light = LIGHT - point
    light_distance = np.sqrt(_dot(to_light, to_light))
    to_light /= light_distance[:, None]
    lit = _lambert(point, np.where(on_wall[:, None], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]))
    weights = np.zeros((len(SHAPES), len(SCALES), len(d), 3), dtype=np.float32)
    weights[..., WALL] = np.where(on_wall, AMBIENT_PLANE + DIFFUSE_PLANE * lit, 0.0)
    weights[..., FLOOR] = np.where(on_wall, 0.0, AMBIENT_PLANE + DIFFUSE_PLANE * lit)
    for shape, view in zip(SHAPES, weights, strict=True):  # view [S, R, 3]
        rays = rays_near(shape, point, to_light)  # background points the object may shade
        t_block, _ = hit_object(shape, point[rays], to_light[rays][None], SCALES)
        dimmed = np.where(t_block < light_distance[rays], SHADOW, 1.0)  # [S, n]
        shade = AMBIENT_PLANE + DIFFUSE_PLANE * lit[rays] * dimmed
        view[:, rays, WALL] = np.where(on_wall[rays], shade, 0.0)
        view[:, rays, FLOOR] = np.where(on_wall[rays], 0.0, shade)

        rays = rays_near(shape, eye, d)  # camera rays that may meet the object
        t_object, normal = hit_object(shape, eye, d[rays][None], SCALES)
        on_object = t_object < t_back[rays]  # [S, n]
        object_point = eye + np.where(on_object, t_object, 0.0)[..., None] * d[rays]
        shade = AMBIENT_OBJECT + DIFFUSE_OBJECT * _lambert(object_point, normal)
        for label in (FLOOR, WALL):
            view[:, rays, label] = np.where(on_object, 0.0, view[:, rays, label])
        view[:, rays, OBJECT] = np.where(on_object, shade, 0.0)
    k2, n = SUPERSAMPLE**2, IMAGE_SIZE
    pixels = weights.reshape(len(SHAPES), len(SCALES), k2, n, n, 3).sum(2, dtype=np.float64)
    return np.round(pixels * (WEIGHT_ONE / k2)).astype(np.uint16)


def shade_orientations(orientation_ids) -> dict[int, np.ndarray]:
    """`shade_views` of several orientations (indices into ORIENTATIONS_DEG), computed in
    threads: numpy releases the GIL in array arithmetic, and each view is independent."""
    ids = sorted({int(o) for o in orientation_ids})
    with ThreadPoolExecutor(max_workers=max(1, torch.get_num_threads())) as pool:
        views = pool.map(lambda o: shade_views(ORIENTATIONS_DEG[o]), ids)
        return dict(zip(ids, views, strict=True))


def geometry_table() -> np.ndarray:
    """Weights of all 480 geometries in grid order (scale, shape, orientation):
    uint16 [8 * 4 * 15, 64, 64, 3]."""
    views = shade_orientations(range(len(ORIENTATIONS_DEG)))
    table = np.stack([views[o] for o in range(len(ORIENTATIONS_DEG))], 2)  # [4, 8, 15, ...]
    return table.transpose(1, 0, 2, 3, 4, 5).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 3)
