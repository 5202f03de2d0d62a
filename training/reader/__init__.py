"""Train qa's extractive reader: MiniLM-L6 start/end head with a [CLS] no-answer option.

``python -m training.reader.data``  builds the example files (split by article, retrieved negatives);
``python -m training.reader.train`` trains with checkpoints and resume; ``export`` writes the int8 ONNX model.
"""
