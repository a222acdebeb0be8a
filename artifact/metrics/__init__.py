"""Metrics of section 3.4 of the paper, one per module: pure functions, arrays in, numbers out.

    mig.py          MIG on the VAE latent (disentanglement_lib's formulation)
    mutual_info.py  discretisation, entropy and the vectorised MI matrix the others share
    neurons.py      dead and specialised neurons of the conv SAE, and their threshold sweeps
    mse.py          reconstruction MSE
    keys.py         the aggregate's metric names (read by claims, aggregate and report)

Import what you use from its module (`from artifact.metrics.mig import mig`): the package
re-exports nothing, so `artifact.metrics.keys` does not pull in torch.
"""
