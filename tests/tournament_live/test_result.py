"""What a finished match gives its tournament pairing (``engine_result``): the winner, games
and early buzzes (违规) per side counted over every game, a forfeit, and nothing for a match
that is not over or ended without a winner."""

from __future__ import annotations

from quiz.engine import Match, MatchRules, Side
from quiz.engine import commands as C
from quiz.live.tournament import engine_result
from quiz.tournament import MatchResult

RED, BLUE = "red-device", "blue-device"


class Play:
    def __init__(self, games_to_win: int = 3) -> None:
        self.match = Match(MatchRules(games_to_win=games_to_win))
        self.now = 1_000
        self.do(C.BindDevice(Side.RED, RED))
        self.do(C.BindDevice(Side.BLUE, BLUE))

    def do(self, command: C.Command) -> None:
        self.now += 100
        self.match.apply(command, self.now)

    def question(self, winner: Side | None, early: tuple[str, ...] = ()) -> None:
        """One question; each device in ``early`` buzzes before buzzing opens."""
        self.do(C.ShowQuestion(f"q{self.now}", "choice", ("A",), 4))
        for device in early:
            self.do(C.Buzz(device, None))
        if winner is None:
            self.do(C.Void())
            return
        self.do(C.OpenBuzzing())
        self.do(C.Buzz(RED if winner is Side.RED else BLUE, None))
        self.do(C.SubmitChoice(RED if winner is Side.RED else BLUE, ("A",)))


def test_no_result_until_the_match_is_won() -> None:
    play = Play()
    assert engine_result(play.match) is None
    play.question(Side.RED)
    assert engine_result(play.match) is None
    play.do(C.EndMatch(reason="abandoned"))
    assert engine_result(play.match) is None  # ended without a winner


def test_early_buzzes_are_counted_over_every_game() -> None:
    play = Play()
    play.question(Side.BLUE, early=(RED,))  # game 1, question 1
    play.question(None, early=(BLUE,))  # game 2, question 1: void
    play.question(Side.RED, early=(BLUE,))  # game 2, question 2
    play.question(Side.RED, early=(BLUE,))
    play.question(Side.RED)
    assert engine_result(play.match) == MatchResult(Side.RED, 3, 1, 1, 3)


def test_a_forfeit_in_the_middle_of_a_question_counts_its_early_buzzes() -> None:
    play = Play()
    play.question(Side.RED)
    play.do(C.ShowQuestion("last", "choice", ("A",), 4))
    play.do(C.Buzz(BLUE, None))
    play.do(C.EndMatch(reason="forfeit", winner=Side.RED))
    assert engine_result(play.match) == MatchResult(Side.RED, 1, 0, 0, 1, forfeit=True)


def test_games_adjusted_past_the_winner_still_give_a_result_to_correct() -> None:
    play = Play(games_to_win=1)
    play.do(C.AdjustGames(Side.BLUE, 1))
    result = engine_result(play.match)
    assert result == MatchResult(Side.BLUE, 0, 1)
