"""convkit exercises: the modules you complete, their public tests, the data loader and plotting helpers."""
