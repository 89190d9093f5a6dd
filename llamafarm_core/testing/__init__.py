"""Contract test bases that plugin packages subclass (like ``haystack.testing``).

Each module holds one kind's contract: ``parsers``, ``extractors``, ``embedders``, ``stores``,
``retrievers``, ``providers``. A plugin's test module subclasses the contract class and
provides the fixtures it names; pytest then runs every contract test against the plugin.
"""
