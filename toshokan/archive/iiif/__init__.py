"""IIIF Image API 3.0 (https://iiif.io/api/image/3.0/) over the archive's images."""
