"""The serve stage: gallery index, search engine, FastAPI app and web page."""
