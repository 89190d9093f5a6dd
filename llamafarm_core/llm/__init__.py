"""Access to a language model: completion types, model selection, request parameters and a
plain text generator. Used by chat, by retrieval (query expansion) and by tools; depends on
none of them."""
