"""neuronio.visualize: see inside a network, one call per picture (the decks' pictures).

    from neuronio import visualize
    visualize.plot_history(history)                    # loss and metrics per epoch, training vs validation
    visualize.show_samples(x, y, model.predict(x))     # a labelled grid; wrong ones as "true → predicted"
    visualize.plot_mistakes(model, x, y)               # the most confident mistakes with their top 3
    visualize.plot_confusion_matrix(model, x, y, class_names="fashion_mnist")
    visualize.plot_filters(model, "conv2d")            # a Conv2D layer's kernels, one tile per filter
    visualize.plot_activations(model, x[0])            # every layer's output for one input
    visualize.top_patches(model, "conv2d", x).plot()   # the top 9 patches that activate each filter
    visualize.plot_hidden_states(model, x[0])          # a recurrent layer's state at every timestep

Every picture is a matplotlib Figure: `fig.savefig("name.png")` (or ".svg"), or shown in Jupyter.
matplotlib is optional: `pip install 'neuronio[plot]'`. The whole set at once, as one HTML page:
`neuronio report MODEL.keras`. The network diagram is `neuronio.utils.plot_model`.
"""

from neuronio.visualize.activations import layer_activations, plot_activations
from neuronio.visualize.classes import CLASS_NAMES
from neuronio.visualize.confusion import confusion_matrix, plot_confusion_matrix
from neuronio.visualize.filters import plot_filters
from neuronio.visualize.history import plot_history
from neuronio.visualize.patches import (
    ReceptiveField,
    TopPatches,
    plot_top_patches,
    receptive_field,
    receptive_fields,
    top_patches,
)
from neuronio.visualize.recurrent import hidden_states, plot_hidden_states
from neuronio.visualize.report import write_report
from neuronio.visualize.samples import most_confident_mistakes, plot_mistakes, show_samples

__all__ = [
    "CLASS_NAMES",
    "ReceptiveField",
    "TopPatches",
    "confusion_matrix",
    "hidden_states",
    "layer_activations",
    "most_confident_mistakes",
    "plot_activations",
    "plot_confusion_matrix",
    "plot_filters",
    "plot_hidden_states",
    "plot_history",
    "plot_mistakes",
    "plot_top_patches",
    "receptive_field",
    "receptive_fields",
    "show_samples",
    "top_patches",
    "write_report",
]
