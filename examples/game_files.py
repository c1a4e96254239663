"""Game files: read Gambit .nfg games, solve and certify them, write them back exactly.

Reads the three games in examples/games/ (a prisoner's dilemma in outcome
form, a weighted rock-paper-scissors with rational payoffs, a three-player El
Farol bar game), solves each with the problem class that fits it, certifies
the answer against the file's exact payoffs, and checks that writing a game
and reading it back gives the same game.

Run:  python examples/game_files.py
"""

from pathlib import Path

import numpy as np

import eqsolve as eq

GAMES = Path(__file__).resolve().parent / "games"
np.set_printoptions(precision=6, suppress=True)

for path in sorted(GAMES.glob("*.nfg")):
    game = eq.io.read_nfg(path)
    print(f"{path.name}: {game.title!r}, {game.num_players} players, strategies {game.shape}")
    if game.num_players == 2:
        problem = game.to_problem()          # MatrixGame when zero-sum, else BimatrixGame
        res = eq.solve(problem, tol=1e-9)
    else:
        # no specialised solver for N > 2 players: a generic VI method, no guarantee --
        # the Nash gap below says how good the point is
        res = eq.solve(game, method="mirror_prox", tol=1e-8, max_iter=5000)
    cert = game.certify(res.z)               # Nash gap of the exact game in the file
    print(f"  {res.certificate.kind} = {res.residual:.2e} "
          f"({res.status}, {res.method}); exact-game Nash gap {cert.value:.2e}")
    for player, labels, x in zip(game.players, game.strategies, game.split(res.z).values()):
        print(f"  {player:8s}", "  ".join(f"{s}={p:.4f}" for s, p in zip(labels, x)))
    again = eq.io.parse_nfg(eq.io.write_nfg(game))
    assert again == game, "write_nfg / read_nfg must round-trip exactly"
print("every game round-trips exactly through write_nfg / read_nfg")
