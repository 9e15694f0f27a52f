"""The bottom layer every other package may use: paths, secret references and masking, the
sanitiser for text from outside, and the config error type. It imports nothing of the app."""
