"""One full-text search engine for every kind of document (decision 0016).

Other apps import only `helpline.search.engine`: they register a `Source` per kind of document
and call `engine.index` / `engine.remove` in the transaction that changes the content.
"""
