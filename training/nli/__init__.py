"""Train qa's entailment cross-encoder: MiniLM-L6 (bundled) + mean pooling + a 3-way head
(entailment / neutral / contradiction).

``python -m training.nli.train`` trains (checkpoints, resume); ``export`` writes the int8 ONNX model;
``calibrate`` fits the temperature and thresholds on the dev split; ``card`` writes the model card.
"""
