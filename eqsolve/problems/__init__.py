"""What is solved: games, variational inequalities, saddle problems, and a zoo of instances."""

from . import zoo
from .base import ComputeInterrupted, Problem
from .chunked import ChunkedMatrix
from .games import BimatrixGame, MatrixGame
from .preference import PreferenceGame, random_preferences
from .vi import VI, Saddle
from .differentiable import DifferentiableGame, QuadraticGame, game_from_spec
from .power_control import PowerControlGame
from .normal_form import NormalFormGame
from .finite_sum import FiniteSumVI
from .bilinear import BilinearSaddle, LinearProgram
from .extensive_form import ExtensiveFormGame, SequenceFormBuilder
from . import bilinear

__all__ = ["Problem", "ComputeInterrupted", "ChunkedMatrix", "MatrixGame", "BimatrixGame", "PreferenceGame", "random_preferences", "VI",
           "Saddle", "PowerControlGame", "DifferentiableGame", "QuadraticGame", "game_from_spec",
           "NormalFormGame", "FiniteSumVI", "LinearProgram", "BilinearSaddle", "ExtensiveFormGame", "SequenceFormBuilder", "bilinear", "zoo"]
