"""Masks: validation, RLE, COCO and DAVIS round trips, label maps, IoU and boundary F."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from litlora_widgets.errors import InputError
from litlora_widgets.masks import (
    array_to_masks,
    boundary_f,
    davis_palette,
    decode_rle,
    encode_rle,
    label_map,
    mask_iou,
    masks_to_array,
    read_coco,
    read_davis,
    rle_area,
    validate_mask,
    write_coco,
    write_davis,
)

H, W, T = 24, 37, 5


def blob(y0, x0, h, w, shape=(H, W)):
    m = np.zeros(shape, bool)
    m[y0 : y0 + h, x0 : x0 + w] = True
    return m


@pytest.fixture
def video_masks():
    """Objects 1, 2, 5 on some frames; no overlaps (DAVIS keeps one label per pixel)."""
    rng = np.random.default_rng(0)
    noisy = rng.random((H, W)) > 0.7
    return {
        0: {1: blob(2, 3, 5, 9), 2: blob(10, 20, 8, 6), 5: noisy & ~blob(0, 0, 24, 26)},
        2: {2: blob(0, 0, 3, 3)},
        4: {1: blob(20, 30, 4, 7), 5: blob(5, 5, 1, 1)},
    }


def same_masks(a, b):
    assert a.keys() == b.keys()
    for f in a:
        assert a[f].keys() == b[f].keys(), f
        for o in a[f]:
            assert a[f][o].dtype == np.bool_
            np.testing.assert_array_equal(a[f][o], b[f][o], err_msg=f"frame {f} obj {o}")


def non_empty(masks):
    return {f: fm for f, fm in masks.items() if fm}


# ----------------------------------------------------------------------------- RLE
@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (40, 9), (64, 64)])
def test_rle_round_trip(shape):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    for m in (rng.random(shape) > 0.5, np.zeros(shape, bool), np.ones(shape, bool)):
        rle = encode_rle(m)
        assert rle["size"] == list(shape) and isinstance(rle["counts"], str)
        json.dumps(rle)
        out = decode_rle(rle)
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out, m)
        assert rle_area(rle) == m.sum()


def test_rle_orientation_and_uncompressed_counts():
    m = blob(0, 0, 1, 3, shape=(2, 3))  # top row: Fortran order puts runs column by column
    assert decode_rle({"size": [2, 3], "counts": [0, 1, 1, 1, 1, 1, 1]}).tolist() == m.tolist()
    with pytest.raises(InputError, match="counts sum to 5 but size is 2×3"):
        decode_rle({"size": [2, 3], "counts": [1, 4]})
    with pytest.raises(InputError, match="must be a dict with 'size'"):
        decode_rle({"counts": "abc"})


# ----------------------------------------------------------------------------- validation
def test_validate_mask_accepts_binary_kinds():
    m = blob(3, 4, 5, 6)
    for x in (m, m.astype(np.uint8), m.astype(np.int64) * 255, m.astype(np.float32) * 0.9):
        out = validate_mask(x, H, W)
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out, m)
    assert not validate_mask(np.full((H, W), 0.49), H, W).any()


@pytest.mark.parametrize(
    ("mask", "pattern"),
    [
        (np.zeros((1, H, W), bool), r"must be 2-D.*np\.squeeze"),
        (np.zeros((10, 10), bool), r"shape \(10, 10\) but the video frames are 24×37.*\(24, 37\)"),
        (np.full((H, W), np.nan), r"NaN"),
        (np.full((H, W), 2, np.uint8), r"other than \{0, 1\} or \{0, 255\}.*`mask > 0`"),
        (np.arange(H * W).reshape(H, W) % 3, r"other than \{0, 1\}"),
        (np.full((H, W), -1.5), r"for logits pass `logits > 0`"),
        (np.zeros((H, W), complex), r"dtype complex128"),
    ],
)
def test_validate_mask_rejects(mask, pattern):
    with pytest.raises(InputError, match=pattern):
        validate_mask(mask, H, W)


def test_validate_mask_empty():
    assert not validate_mask(np.zeros((H, W), bool), H, W).any()
    with pytest.raises(InputError, match=r"the mask is empty \(no True pixels\).*remove_object"):
        validate_mask(np.zeros((H, W), bool), H, W, allow_empty=False)


# ----------------------------------------------------------------------------- COCO
def test_coco_round_trip(tmp_path, video_masks):
    video_masks[3] = {2: np.zeros((H, W), bool)}  # an empty mask survives in COCO
    path = write_coco(
        tmp_path / "m.json",
        video_masks,
        height=H,
        width=W,
        num_frames=T,
        video_name="clip",
        object_names={1: "car", 2: "dog", 7: "unused"},
    )
    masks, names = read_coco(path, H, W)
    assert names == {1: "car", 2: "dog", 5: "object 5", 7: "unused"}
    assert sorted(masks) == list(range(T)) and masks[1] == {}
    same_masks(non_empty(masks), video_masks)

    doc = json.loads(path.read_text())
    assert doc["info"]["video_name"] == "clip"
    assert [im["id"] for im in doc["images"]] == [1, 2, 3, 4, 5]
    assert doc["images"][0] == {
        "id": 1,
        "frame_index": 0,
        "file_name": "00000.jpg",
        "height": H,
        "width": W,
    }
    ann = next(a for a in doc["annotations"] if a["image_id"] == 1 and a["category_id"] == 1)
    assert ann["iscrowd"] == 0 and ann["area"] == 45 and ann["bbox"] == [3, 2, 9, 5]


def test_coco_readable_by_pycocotools(tmp_path, video_masks):
    from pycocotools.coco import COCO

    path = write_coco(
        tmp_path / "m.json", video_masks, height=H, width=W, num_frames=T, video_name="clip"
    )
    coco = COCO(str(path))
    ann = coco.loadAnns(coco.getAnnIds(imgIds=[5], catIds=[1]))[0]
    np.testing.assert_array_equal(coco.annToMask(ann).astype(bool), video_masks[4][1])


def test_read_coco_errors(tmp_path, video_masks):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_coco(bad)
    bad.write_text(json.dumps({"images": []}))
    with pytest.raises(InputError, match=r"needs 'images' and 'annotations'"):
        read_coco(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_coco(tmp_path / "missing.json")
    path = write_coco(
        tmp_path / "m.json", video_masks, height=H, width=W, num_frames=T, video_name="clip"
    )
    with pytest.raises(InputError, match=r"is 24×37 but the video frames are 48×74"):
        read_coco(path, 48, 74)
    doc = json.loads(path.read_text())
    del doc["annotations"][0]["segmentation"]
    bad.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="lacks 'segmentation'"):
        read_coco(bad)


def test_write_coco_rejects_bad_masks(tmp_path):
    with pytest.raises(InputError, match=r"object 1 on frame 0 has shape \(3, 3\)"):
        write_coco(
            tmp_path / "m.json",
            {0: {1: np.zeros((3, 3), bool)}},
            height=H,
            width=W,
            num_frames=T,
            video_name="clip",
        )
    with pytest.raises(InputError, match=r"frame 9 but the video has frames 0\.\.4"):
        write_coco(
            tmp_path / "m.json",
            {9: {1: blob(0, 0, 1, 1)}},
            height=H,
            width=W,
            num_frames=T,
            video_name="clip",
        )


# ----------------------------------------------------------------------------- DAVIS
def test_davis_palette():
    pal = davis_palette()
    assert pal[:5].tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]]
    assert pal[255].tolist() == [224, 224, 192]  # the PASCAL 'void' colour


def test_davis_round_trip(tmp_path, video_masks):
    folder = write_davis(tmp_path / "out", video_masks, height=H, width=W, num_frames=T)
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"{f:05d}.png" for f in range(T)]
    im = Image.open(folder / "00000.png")
    assert im.mode == "P" and im.getpalette()[:9] == [0, 0, 0, 128, 0, 0, 0, 128, 0]
    masks = read_davis(folder, H, W)
    assert sorted(masks) == list(range(T)) and masks[1] == {} and masks[3] == {}
    same_masks(non_empty(masks), video_masks)


def test_davis_overlap_and_frame_names(tmp_path):
    m = {0: {2: blob(0, 0, 10, 10), 1: blob(5, 5, 10, 10)}}
    folder = write_davis(tmp_path, m, height=H, width=W, num_frames=2, frame_names=["f1", "f10"])
    assert sorted(p.name for p in folder.iterdir()) == ["f1.png", "f10.png"]
    lm = np.asarray(Image.open(folder / "f1.png"))
    assert lm[7, 7] == 2 and lm[12, 12] == 1  # higher id wins where they overlap
    masks = read_davis(folder, frame_names=["f1.jpg", "f10.jpg"])
    np.testing.assert_array_equal(masks[0][2], blob(0, 0, 10, 10))
    np.testing.assert_array_equal(masks[0][1], blob(5, 5, 10, 10) & ~blob(0, 0, 10, 10))
    assert masks[1] == {}
    with pytest.raises(InputError, match=r"f1\.png has no frame number.*frame_names="):
        read_davis(folder)


def test_read_davis_other_png_kinds(tmp_path):
    m = blob(3, 3, 6, 6)
    Image.fromarray(m.astype(np.uint8) * 255).save(tmp_path / "00000.png")  # grayscale 0/255
    rgb = davis_palette()[(m * 3).astype(np.uint8)]
    Image.fromarray(rgb).save(tmp_path / "00003.png")  # RGB in DAVIS colours, sparse frame
    masks = read_davis(tmp_path)
    assert sorted(masks) == [0, 3]
    np.testing.assert_array_equal(masks[0][1], m)
    np.testing.assert_array_equal(masks[3][3], m)
    Image.fromarray(np.full((H, W, 3), 7, np.uint8)).save(tmp_path / "00004.png")
    with pytest.raises(InputError, match=r"00004\.png has colour \(7, 7, 7\)"):
        read_davis(tmp_path)


def test_read_davis_errors(tmp_path, video_masks):
    with pytest.raises(InputError, match="no .png masks"):
        read_davis(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        read_davis(tmp_path / "missing")
    write_davis(tmp_path, video_masks, height=H, width=W, num_frames=T)
    with pytest.raises(InputError, match=r"00000\.png is 24×37 but the video is 48×37"):
        read_davis(tmp_path, 48, W)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "00005.png")
    with pytest.raises(InputError, match=r"00005\.png is 10×10 but 00000\.png is 24×37"):
        read_davis(tmp_path)


def test_read_davis_real_annotations(davis_dir):
    folder = davis_dir / "Annotations" / "480p" / "car-shadow"
    masks = read_davis(folder, 480, 854)
    files = sorted(folder.glob("*.png"))
    assert sorted(masks) == list(range(len(files)))
    for f in (0, 13, len(files) - 1):
        ref = np.asarray(Image.open(files[f])) == 1
        assert set(masks[f]) == {1}
        np.testing.assert_array_equal(masks[f][1], ref)


def test_read_davis_error_mentions_file_with_copy(tmp_path, davis_dir):
    src = sorted((davis_dir / "Annotations" / "480p" / "car-shadow").glob("*.png"))[:2]
    for p in src:
        shutil.copy(p, tmp_path / p.name)
    (tmp_path / "00002.png").write_text("not a png")
    with pytest.raises(InputError, match=r"cannot read mask .*00002\.png"):
        read_davis(tmp_path)


# ----------------------------------------------------------------------------- label maps
def test_label_maps_round_trip(video_masks):
    arr = masks_to_array(video_masks, None, T, H, W)
    assert arr.dtype == np.uint8 and arr.shape == (T, H, W)
    same_masks(non_empty(array_to_masks(arr)), video_masks)
    only2 = masks_to_array(video_masks, [2], T, H, W)
    assert set(np.unique(only2)) == {0, 2}
    lm = label_map(video_masks[0], H, W)
    np.testing.assert_array_equal(lm, arr[0])
    with pytest.raises(InputError, match=r"outside 1\.\.255"):
        label_map({300: blob(0, 0, 1, 1)}, H, W)
    with pytest.raises(InputError, match=r"object 1 has shape \(3, 3\)"):
        label_map({1: np.zeros((3, 3), bool)}, H, W)


# ----------------------------------------------------------------------------- metrics
def test_mask_iou():
    a, b = blob(0, 0, 10, 10), blob(0, 5, 10, 10)
    assert mask_iou(a, a) == 1.0 and mask_iou(a, b) == pytest.approx(50 / 150)
    empty = np.zeros((H, W), bool)
    assert mask_iou(empty, empty) == 1.0 and mask_iou(a, empty) == 0.0
    with pytest.raises(InputError, match="shapes"):
        mask_iou(a, np.zeros((3, 3), bool))


def test_boundary_f():
    a = blob(100, 200, 200, 300, shape=(480, 854))  # bound 0.008 × diagonal = 8 px
    assert boundary_f(a, a) == 1.0
    scores = [boundary_f(np.roll(a, s, axis=1), a) for s in (0, 8, 9, 16, 40)]
    assert scores[0] == scores[1] == 1.0
    assert (np.diff(scores[1:]) < 0).all(), scores
    empty = np.zeros_like(a)
    assert boundary_f(empty, empty) == 1.0 and boundary_f(a, empty) == 0.0
    assert boundary_f(np.roll(a, 3, axis=0), a, bound_th=2) < 1.0
