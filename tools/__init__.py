"""Developer tooling shared by the browser tests and the README's screenshots."""
