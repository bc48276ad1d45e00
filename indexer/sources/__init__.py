"""One module per source format; each turns files into Contributions."""
