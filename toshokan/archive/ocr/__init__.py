"""OCR of Japanese page images with Tesseract: recognition (tesseract.py), the NDL-DocL layout ground truth
(layout.py) and how well lines are found (evaluate.py)."""
