"""What tells chapter 09's FCN scorer a street scene's class: the texture, or the colour and the layout?

    python -m benchmarks.scorer_texture                 # seeds 0-2, about 20 s a seed on one core

Chapter 09 records that its segmenter labels "flat" photos (each class painted its mean colour in that photo,
no texture left) almost as well as the real ones, so the FCN-score cannot tell L1's flat output from a textured
one. This study asks where the class information sits, on the chapter's quick-profile data (2,000 training
and 200 test scenes of 32 x 32 pixels, 300 training steps): segmenters of 1, 2 and 4 layers (receptive fields
3, 5 and 9 pixels) trained on the real photos, scored on the real, blurred (sigma 1 pixel) and flat test
photos, and a 4-layer segmenter trained on flat photos only, scored on flat photos. If that one labels flat
photos as well as the real-trained one labels real photos, colour and layout carry the class and no scorer
trained on these scenes needs texture (benchmarks/results/scorer_texture.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from skimage.filters import gaussian

from dipkit import evaluation, generated, training

RESULT = Path(__file__).parent / "results" / "scorer_texture.json"


def flat_photos(photos: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each class's pixels set to their mean colour in that photo (chapter 09's scorer check, vectorised)."""
    classes = len(generated.STREET_CLASSES)
    flat = np.empty_like(photos)
    for i, (photo, label) in enumerate(zip(photos, labels)):
        counts = np.bincount(label.ravel(), minlength=classes)[:, None]
        sums = np.stack([np.bincount(label.ravel(), photo[..., c].ravel(), classes) for c in range(3)], axis=1)
        flat[i] = (sums / np.maximum(counts, 1))[label]
    return flat


def study(seed: int) -> dict:
    classes = len(generated.STREET_CLASSES)
    train_labels, train_photos = generated.street_scenes("train", 2000, 32, seed)
    test_labels, test_photos = generated.street_scenes("test", 200, 32, seed)
    tests = {"real": test_photos, "blurred": gaussian(test_photos, sigma=(0, 1, 1, 0)).astype(np.float32),
             "flat": flat_photos(test_photos, test_labels)}
    result = {}
    for layers in (1, 2, 4):
        segmenter = training.train_segmenter(train_photos, train_labels, classes, steps=300, seed=seed, layers=layers)
        result[f"trained on real, {layers} layers"] = {
            name: round(evaluation.fcn_score(segmenter, images, test_labels, classes)["pixel_accuracy"], 4)
            for name, images in tests.items()}
    segmenter = training.train_segmenter(flat_photos(train_photos, train_labels), train_labels, classes, steps=300,
                                         seed=seed)
    result["trained on flat, 4 layers"] = {
        "flat": round(evaluation.fcn_score(segmenter, tests["flat"], test_labels, classes)["pixel_accuracy"], 4)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {f"seed {seed}": study(seed) for seed in args.seeds}
    RESULT.write_text(json.dumps({"pixel_accuracy": results}, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
