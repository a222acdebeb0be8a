"""The VAE-SAE hybrid of section 3.1: conv VAE, sparse autoencoders, and their composition."""
