"""Custom Rasa NLU components for Chinese labour questions.

Importing this package registers the components with Rasa's recipe, so
``config.yml`` can name them by their class path.
"""
