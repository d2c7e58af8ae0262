"""The partial-convolution filler: hole pixels never leak, a tiny run learns, the export fills."""
from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from alphacut.adapt.filler_train import (  # noqa: E402
    ExportWrapper, HoleBank, PartialConv2d, PartialConvUNet, export_filler, load_images, train,
)
from alphacut.adapt.onnx_export import export_checked  # noqa: E402
from alphacut.edit.fillers import fill_hole, get_filler  # noqa: E402
from alphacut.errors import InputError, ModelError  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks run fastest on one thread, and a shared machine stays usable."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_partial_convolution_ignores_what_is_under_the_hole():
    torch.manual_seed(0)
    conv = PartialConv2d(3, 4, 3, padding=1)
    known = torch.ones(1, 3, 8, 8)
    known[..., 2:5, 2:5] = 0
    x = torch.rand(1, 3, 8, 8)
    other = x.clone()
    other[..., 2:5, 2:5] = 100.0  # garbage where the mask says "hole"
    a, mask_a = conv(x, known)
    b, _ = conv(other, known)
    assert torch.allclose(a, b)
    assert mask_a.shape == (1, 1, 8, 8)
    assert mask_a[0, 0, 3, 3] == 0 and mask_a[0, 0, 2, 2] == 1  # the centre saw only hole; the corner saw known pixels
    full, _ = conv(x, torch.ones(1, 3, 8, 8))
    plain = torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding=1)
    assert torch.allclose(full[..., 1:-1, 1:-1], plain[..., 1:-1, 1:-1], atol=1e-5)  # the zero padding counts as hole


def test_the_network_output_does_not_depend_on_hole_pixels():
    torch.manual_seed(0)
    net = PartialConvUNet(depth=3, width=8).eval()
    hole = torch.zeros(1, 1, 32, 32)
    hole[..., 8:20, 10:22] = 1
    x = torch.rand(1, 3, 32, 32) * (1 - hole)
    garbage = x + hole * (10.0 + torch.rand(1, 3, 32, 32))  # the same photo, other content under the hole
    with torch.no_grad():
        clean, dirty = net(x, hole), net(garbage, hole)
        assert torch.allclose(clean, dirty, atol=1e-6)
        other_hole = torch.zeros_like(hole)
        other_hole[..., 4:10, 4:10] = 1
        assert not torch.allclose(clean, net(x, other_hole), atol=1e-3)  # the mask does steer the result


def synthetic_photos(count: int = 6, size: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    photos = []
    for _ in range(count):
        base = rng.uniform(40, 200, 3)
        slope = rng.uniform(-1.5, 1.5, (2, 3))
        photo = base + yy[..., None] * slope[0] + xx[..., None] * slope[1]
        photos.append(np.clip(photo, 0, 255).astype(np.uint8))
    return photos


def object_masks(count: int = 5, size: int = 48) -> list[np.ndarray]:
    masks = []
    for index in range(count):
        mask = np.zeros((size, size), np.uint8)
        cv2.ellipse(mask, (24, 24), (8 + 2 * index, 14 - index), 15 * index, 0, 360, 255, -1)
        masks.append(mask > 0)
    return masks


def test_holes_are_object_and_background_shaped_within_the_area_bounds():
    bank = HoleBank(object_masks())
    rng = random.Random(0)
    holes = [bank.sample(32, rng, min_area=0.1, max_area=0.4) for _ in range(40)]
    areas = [h.mean() for h in holes]
    assert min(areas) >= 0.05 and max(areas) <= 0.48
    assert all(set(np.unique(h)) <= {0.0, 1.0} for h in holes)


def test_a_tiny_run_learns_and_its_export_is_a_working_filler(tmp_path):
    photos = synthetic_photos()
    bank = HoleBank(object_masks())
    net, losses = train(photos, bank, steps=60, size=32, batch_size=4, depth=3, width=8, lr=3e-3, log_every=0)
    assert np.mean(losses[-10:]) < 0.8 * np.mean(losses[:10])
    path = tmp_path / "filler.onnx"
    assert export_filler(net, path, size=32) < 1e-3
    filler = get_filler(f"onnx:{path}")
    assert filler.multiple == 8
    photo = synthetic_photos(1, 40)[0][:37, :35]  # odd size: padded to 40 x 40 inside the filler
    hole = np.zeros(photo.shape[:2], bool)
    hole[10:22, 8:24] = True
    filled = fill_hole(filler, photo, hole)
    assert np.array_equal(filled[~hole], photo[~hole])
    error = np.abs(filled.astype(float) - photo)[hole].mean()
    assert error < np.abs(photo.astype(float) - 128)[hole].mean()  # closer than a grey guess


def test_training_resumes_from_a_checkpoint(tmp_path):
    photos, bank = synthetic_photos(), HoleBank(object_masks())
    checkpoint = tmp_path / "ckpt.pt"
    train(photos, bank, steps=3, size=32, batch_size=2, depth=3, width=8, checkpoint=checkpoint, log_every=0)
    state = torch.load(checkpoint, map_location="cpu")
    assert state["step"] == 3 and "optimizer" in state
    _, losses = train(photos, bank, steps=5, size=32, batch_size=2, depth=3, width=8, checkpoint=checkpoint, log_every=0)
    assert len(losses) == 2  # steps 4 and 5 only


def test_the_export_computes_what_pytorch_does_at_other_sizes_and_is_refused_when_it_does_not(tmp_path):
    import onnxruntime as ort

    torch.manual_seed(0)
    net = PartialConvUNet(depth=3, width=8)
    path = tmp_path / "filler.onnx"
    export_filler(net, path, size=32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_modelmeta().custom_metadata_map["multiple"] == "8"
    image = torch.rand(1, 3, 48, 64)
    hole = torch.zeros(1, 1, 48, 64)
    hole[..., 10:30, 20:50] = 1
    exported = session.run(None, {"image": image.numpy(), "mask": hole.numpy()})[0]
    with torch.no_grad():
        expected = ExportWrapper(net)(image, hole).numpy()
    assert exported.shape == (1, 3, 48, 64)
    assert np.abs(exported - expected).max() < 1e-4
    assert np.array_equal(exported[0][:, hole[0, 0].numpy() == 0], image[0].numpy()[:, hole[0, 0].numpy() == 0])

    refused = tmp_path / "refused.onnx"
    with pytest.raises(ModelError, match="differs from PyTorch"):
        export_checked(ExportWrapper(net), (image, hole), refused, input_names=["image", "mask"],
                       output_names=["output"], tolerance=-1.0)
    assert not refused.exists()


def test_photos_and_masks_are_read_from_folders(tmp_path):
    from PIL import Image

    photos, masks = tmp_path / "photos", tmp_path / "masks"
    (photos / "nested").mkdir(parents=True)
    masks.mkdir()
    big, small = synthetic_photos(2, 48)
    Image.fromarray(big).save(photos / "nested" / "big.png")
    Image.fromarray(small[:20, :20]).save(photos / "small.jpg")  # shorter than --size: not used
    assert [image.shape for image in load_images(photos, 32)] == [(48, 48, 3)]
    assert np.array_equal(load_images(photos, 32)[0], big)
    for index, mask in enumerate(object_masks(2)):
        Image.fromarray(mask.astype(np.uint8) * 255).save(masks / f"{index}.png")
    Image.fromarray(np.full((48, 48), 255, np.uint8)).save(masks / "all_white.png")  # no shape: skipped
    bank = HoleBank.from_folder(masks)
    assert len(bank.masks) == 2 and np.array_equal(bank.masks[0], object_masks(2)[0])
    with pytest.raises(InputError, match="no images"):
        load_images(photos, 64)
