"""neuronio.wrappers: neuronio models as scikit-learn estimators (`SKLearnClassifier`,
`SKLearnRegressor`, `SKLearnTransformer`), as Keras 3's `keras.wrappers`.

scikit-learn is imported only when one of the three names is first used
(`pip install 'neuronio[sklearn]'`), so `import neuronio` stays quick.
"""

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name):
    if name in __all__:
        from neuronio.wrappers import sklearn_wrapper

        return getattr(sklearn_wrapper, name)
    raise AttributeError(f"module 'neuronio.wrappers' has no attribute '{name}'")


def __dir__():
    return sorted(__all__)
