"""The tic-tac-toe agent: Q-learning by self-play (no torch), and its evaluation."""
