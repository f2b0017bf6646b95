"""``unreid export onnx --checkpoint model.pth --out model.onnx``: a dynamic-batch ONNX model."""

from __future__ import annotations

import argparse
from pathlib import Path

from unreid.cli.model_arguments import model_file
from unreid.io.output_guard import add_overwrite_argument


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export", help="export a trained model for deployment")
    formats = parser.add_subparsers(dest="export_format", required=True)
    onnx = formats.add_parser("onnx", help="ONNX (float32 pixels 0..255 NCHW in, unit embeddings out)")
    onnx.add_argument("--checkpoint", type=model_file, required=True,
                      help="model.pth written by `unreid train`, or a ready model's name (market1501)")
    onnx.add_argument("--out", type=Path, required=True, help="output .onnx file")
    onnx.add_argument("--opset", type=int, default=17, help="ONNX opset version")
    onnx.add_argument("--no-check", action="store_true", help="skip the onnxruntime-vs-PyTorch comparison")
    add_overwrite_argument(onnx)
    onnx.set_defaults(func=run_onnx)


def run_onnx(args: argparse.Namespace) -> int:
    import numpy as np

    from unreid.cli.output_paths import check_writable, writing
    from unreid.io.output_guard import check_output_file
    from unreid.retrieval.feature_extractor import FeatureExtractor
    from unreid.retrieval.onnx_export import export_onnx

    check_output_file(args.out, flag="--out", overwrite=args.overwrite, inputs=[args.checkpoint],
                      ours=lambda path: path.suffix == ".onnx")
    check_writable(args.out, what="--out")
    extractor = FeatureExtractor.from_checkpoint(args.checkpoint)
    with writing(args.out, what="--out"):
        export_onnx(extractor, path=args.out, opset=args.opset)
    message = f"exported {args.checkpoint} -> {args.out} (input {extractor.height}x{extractor.width}, " \
              f"model {extractor.fingerprint})"
    if not args.no_check:
        from unreid.retrieval.onnx_extractor import OnnxFeatureExtractor

        crops = [np.random.default_rng(i).integers(0, 256, (extractor.height + 7 * i, extractor.width, 3),
                                                   dtype=np.uint8) for i in range(3)]
        diff = float(np.abs(OnnxFeatureExtractor(args.out)(crops) - extractor(crops).cpu().numpy()).max())
        message += f"; onnxruntime vs PyTorch max abs difference {diff:.1e}"
        if diff > 1e-4:
            raise ValueError(f"{args.out}: onnxruntime embeddings differ from PyTorch by {diff:.1e} (> 1e-4); "
                             "try another --opset or report the backbone")
    print(message)
    return 0
