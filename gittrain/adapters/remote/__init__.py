"""Remote storage: URLs, the provider-neutral store interface, and one module per provider.

``urls`` and ``store`` use the standard library only.  Each provider module owns its
outside library (``s3``: s3fs/botocore, ``gcs``: gcsfs, ``hub``: huggingface_hub,
``http``: fsspec's HTTP filesystem) and is imported only by ``store.store_for`` when a
URL of its scheme is used, so the local install and the hooks never load them.
"""
