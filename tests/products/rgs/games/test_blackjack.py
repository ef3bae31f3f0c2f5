"""Blackjack: basic strategy's RTP (returned over staked) recomputed by an independent exact
calculation, rounds dealt in the documented order from the published cards mapping, units
staked that follow every double, split and insurance, and a million seeded rounds per title
played by basic strategy through replay() landing in the 99 % interval."""

from __future__ import annotations

import random
from collections import defaultdict
from fractions import Fraction

import pytest

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import (
    NumberStream,
    RoundSeeds,
    cards_with_replacement,
    check_server_seed,
)
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.blackjack import CLASSIC, EUROPEAN, TITLES, basic_move
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulation_seeds

BASIC = {"strategy": "basic"}
HOLE_CARD = {CLASSIC.code: True, EUROPEAN.code: False}

# -- an independent exact calculator ---------------------------------------------------------
# Hands are (hard total with aces as 1, holds an ace); the dealer is a forward sweep of
# probability mass over hard totals; the player's values are filled in bottom-up tables. The
# module instead recurses over best totals with memoisation and builds a joint distribution.

ONES = range(1, 11)  # ace as 1, every ten-value card as 10
P = {v: Fraction(4 if v == 10 else 1, 13) for v in ONES}


def _best(hard, ace):
    return hard + 10 if ace and hard + 10 <= 21 else hard


def _dealer(up, hits_soft_17):
    finals = defaultdict(Fraction)
    mass = defaultdict(Fraction)
    for second in ONES:
        if {up, second} == {1, 10}:
            finals["bj"] += P[second]
        else:
            mass[up + second, up == 1 or second == 1] += P[second]
    for hard in range(2, 27):
        for ace in (False, True):
            m = mass.pop((hard, ace), 0)
            if not m:
                continue
            total = _best(hard, ace)
            soft_17 = total == 17 and ace and hard == 7
            if hard > 21:
                finals["bust"] += m
            elif total >= 17 and not (soft_17 and hits_soft_17):
                finals[total] += m
            else:
                for v in ONES:
                    mass[hard + v, ace or v == 1] += m * P[v]
    assert not mass
    assert sum(finals.values()) == 1
    return finals


def _expected(hole_card, hits_soft_17, double_ok, das):
    """E[returned] and E[staked] per original unit under the EV-maximising strategy."""
    e_units = e_net = Fraction(0)
    natural = 2 * P[1] * P[10]
    for up in ONES:
        dealer = _dealer(up, hits_soft_17)
        bj = dealer["bj"]
        seen = {o: p / (1 - bj) for o, p in dealer.items() if o != "bj"} if hole_card else dealer

        def stand(total, seen=seen):
            if total > 21:
                return Fraction(-1)
            return sum(
                (
                    p * (1 if o == "bust" or total > o else 0 if total == o else -1)
                    for o, p in seen.items()
                    if o != "bj"
                ),
                Fraction(0),
            ) - seen.get("bj", 0)

        hs = {}  # best of hit and stand, for hands of three cards or more
        for hard in range(31, 1, -1):
            for ace in (False, True):
                total = _best(hard, ace)
                if hard > 21 or total == 21:
                    hs[hard, ace] = stand(total)
                else:
                    hit = sum((P[c] * hs[hard + c, ace or c == 1] for c in ONES), Fraction(0))
                    hs[hard, ace] = max(stand(total), hit)

        def two_card(hard, ace, split_hand, pair, stand=stand, hs=hs):
            """(net, units) of the best move on two cards; ties go to the smaller stake."""
            total = _best(hard, ace)
            if total == 21:
                return stand(21), 1
            moves = [(stand(total), 1)]
            moves.append((sum((P[c] * hs[hard + c, ace or c == 1] for c in ONES)), 1))
            if double_ok(hard, ace) and (das or not split_hand):
                net = 2 * sum(P[c] * stand(_best(hard + c, ace or c == 1)) for c in ONES)
                moves.append((net, 2))
            if pair is not None:
                nets, units = Fraction(0), Fraction(0)
                for c in ONES:
                    if pair == 1:  # split aces: one card each
                        n, u = stand(_best(1 + c, True)), 1
                    else:
                        n, u = two_card(pair + c, c == 1 or pair == 1, True, None)
                    nets += P[c] * n
                    units += P[c] * u
                moves.append((2 * nets, 2 * units))
            best = moves[0]
            for move in moves[1:]:
                if move[0] > best[0]:
                    best = move
            return best

        hands_net = hands_units = Fraction(0)
        for c1 in ONES:
            for c2 in ONES:
                if {c1, c2} == {1, 10}:
                    continue
                n, u = two_card(c1 + c2, 1 in (c1, c2), False, c1 if c1 == c2 else None)
                hands_net += P[c1] * P[c2] * n
                hands_units += P[c1] * P[c2] * u
        if hole_card:  # a peeked blackjack costs every non-natural its original unit
            net = natural * (1 - bj) * Fraction(3, 2) - (1 - natural) * bj + (1 - bj) * hands_net
            units = natural + (1 - natural) * bj + (1 - bj) * hands_units
        else:
            net = natural * (1 - bj) * Fraction(3, 2) + hands_net
            units = natural + hands_units
        e_net += P[up] * net
        e_units += P[up] * units
    return e_units + e_net, e_units


def _any_two(hard, ace):
    return True


def _hard_9_to_11(hard, ace):
    return not ace and hard in (9, 10, 11)


# hole card, hits soft 17, may double, double after split
RULES = {
    CLASSIC.code: (True, False, _any_two, True),
    EUROPEAN.code: (False, False, _hard_9_to_11, False),
}


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_rtp_is_returned_over_staked_by_an_independent_calculation(title):
    returned, staked = _expected(*RULES[title.code])
    outcomes = title.round_outcomes(BASIC)
    assert sum(o.probability for o in outcomes) == 1
    assert sum(o.probability * o.returned for o in outcomes) == returned
    assert sum(o.probability * o.staked for o in outcomes) == staked
    sheet = par_sheet(title.code, "strategy=basic", title.distribution(BASIC))
    assert sheet.rtp == title.rtp(BASIC) == returned / staked
    low, high = TITLE_RTP_RANGE
    assert sheet.rtp >= MIN_RTP
    assert low <= sheet.rtp <= high
    assert sheet.max_probability > 0
    assert sheet.max_multiplier == Fraction(5, 2)  # per unit staked: a natural


def test_the_published_figures():
    assert float(CLASSIC.rtp(BASIC)) == pytest.approx(0.99493859, abs=1e-8)
    assert float(EUROPEAN.rtp(BASIC)) == pytest.approx(0.99187128, abs=1e-8)
    # The top award per original unit: a split, both hands doubled and won (classic only).
    assert max(o.returned for o in CLASSIC.round_outcomes(BASIC)) == 8
    assert max(o.returned for o in EUROPEAN.round_outcomes(BASIC)) == 4
    assert all(o.probability > 0 for t in TITLES for o in t.round_outcomes(BASIC))


def test_basic_strategy_agrees_with_the_textbook_where_the_rules_differ():
    def move(title, up, *cards, may_split=False):
        return basic_move(title.rules, up, cards, split_hand=False, may_split=may_split)

    # Peek (classic): split 8s against anything, double 11 against a ten, not against an ace.
    assert move(CLASSIC, 10, 8, 8, may_split=True) == "split"
    assert move(CLASSIC, 10, 5, 6) == "double"
    assert move(CLASSIC, 11, 5, 6) == "hit"
    assert move(CLASSIC, 11, 11, 11, may_split=True) == "split"
    # No hole card: a ten or an ace may still make a blackjack that takes the extra units.
    assert move(EUROPEAN, 10, 8, 8, may_split=True) == "hit"
    assert move(EUROPEAN, 10, 5, 6) == "hit"
    assert move(EUROPEAN, 11, 11, 11, may_split=True) == "hit"
    # Common ground.
    assert move(CLASSIC, 2, 10, 2) == move(EUROPEAN, 2, 10, 2) == "hit"
    assert move(CLASSIC, 4, 10, 2) == move(EUROPEAN, 4, 10, 2) == "stand"
    assert move(CLASSIC, 10, 10, 6) == move(EUROPEAN, 10, 10, 6) == "hit"
    assert move(CLASSIC, 6, 10, 10, may_split=True) == "stand"


@pytest.mark.parametrize("params", [{"strategy": "perfect"}, {}, {"strategy": "basic", "x": 1}])
def test_an_unknown_strategy_is_refused(params):
    with pytest.raises(InvalidBet) as refused:
        CLASSIC.distribution(params)
    assert refused.value.extra["parameter"] == "strategy"


@pytest.mark.parametrize("params", [{"strategy": "basic"}, {"decks": 6}])
def test_bets_take_no_parameters(params):
    assert CLASSIC.check({}) == {}
    with pytest.raises(InvalidBet) as refused:
        CLASSIC.check(params)
    assert refused.value.extra["parameter"] == "params"


# -- rounds ----------------------------------------------------------------------------------

VALUE = {"A": 1, "T": 10, "J": 10, "Q": 10, "K": 10}


def _value(card):
    return VALUE.get(card[0]) or int(card[0])


def _total(cards):
    hard = sum(_value(c) for c in cards)
    return _best(hard, any(c[0] == "A" for c in cards))


def _settle(view):
    """What the settled view returns per original unit, worked out from its cards alone."""
    dealer = view["dealer"]["cards"]
    dealer_bj = len(dealer) == 2 and _total(dealer) == 21
    dealer_total = _total(dealer)
    returned = Fraction(3, 2) if view["insurance"] and dealer_bj else Fraction(0)
    for hand in view["hands"]:
        cards, units = hand["cards"], Fraction(hand["units"])
        natural = len(view["hands"]) == 1 and len(cards) == 2 and _total(cards) == 21
        total = _total(cards)
        if natural:
            returned += 1 if dealer_bj else Fraction(5, 2)
        elif total > 21 or dealer_bj:
            pass
        elif dealer_total > 21 or total > dealer_total:
            returned += 2 * units
        elif total == dealer_total:
            returned += units
    return returned


def _seeds(rng):
    return RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))


def _play(title, seeds, choose):
    """Play a round to its end, choosing each move with ``choose(step)``; checks as it goes
    that the hole card stays hidden and that units_staked follows the moves."""
    actions, steps = [], []
    step = title.replay(NumberStream(seeds), {}, actions)
    units = Fraction(1)
    while True:
        steps.append(step)
        assert Fraction(step.view["units_staked"]) == units
        if step.finished:
            return steps
        assert len(step.view["dealer"]["cards"]) == 1
        assert "cards" not in step.view
        assert "multiplier" not in step.view
        action = choose(step)
        actions.append(action)
        step = title.replay(NumberStream(seeds), {}, actions)
        if action.name in ("double", "split"):
            units += 1
        elif action.name == "insurance" and action.args["take"]:
            units += Fraction(1, 2)


def _random_move(rng):
    def choose(step):
        name = rng.choice(step.allowed)
        return Action(name, {"take": rng.random() < 0.5} if name == "insurance" else {})

    return choose


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_cards_are_the_published_mapping_in_the_documented_order(title):
    rng = random.Random(11)
    for i in range(300):
        seeds = _seeds(rng)
        choose = title.basic_action if i % 2 else _random_move(rng)
        steps = _play(title, seeds, choose)
        view = steps[-1].view
        cards = view["cards"]
        assert cards == cards_with_replacement(seeds, len(cards))
        hands, dealer = view["hands"], view["dealer"]["cards"]
        # Player 1, dealer up, player 2, (hole), then the hands left to right, then the dealer.
        split = len(hands) == 2
        second = hands[1]["cards"][0] if split else hands[0]["cards"][1]
        first = [hands[0]["cards"][0], dealer[0], second]
        dealt_later = [c for h in hands for c in h["cards"][1 if split else 2 :]]
        if HOLE_CARD[title.code]:
            assert cards == [*first, dealer[1], *dealt_later, *dealer[2:]]
        else:
            assert cards == [*first, *dealt_later, *dealer[1:]]
        assert steps[-1].multiplier == _settle(view) == Fraction(view["multiplier"])
        assert Fraction(view["units_staked"]) == sum(Fraction(h["units"]) for h in hands) + (
            Fraction(1, 2) if view["insurance"] else 0
        )
        live = [h for h in hands if _total(h["cards"]) <= 21 and not h["blackjack"]]
        if live and not view["dealer"]["blackjack"]:
            assert _total(dealer) >= 17  # the dealer drew to 17 and stood on every 17
            assert _total(dealer[:-1]) < 17 or len(dealer) <= 2


def _deal(title, predicate, count=4):
    """Seeds whose first ``count`` cards satisfy ``predicate`` (values: ace 1, tens 10)."""
    rng = random.Random(f"{title.code}:{count}")
    while True:
        seeds = _seeds(rng)
        cards = cards_with_replacement(seeds, count)
        if predicate([_value(c) for c in cards]):
            return seeds


def _replay(title, seeds, *moves):
    return title.replay(NumberStream(seeds), {}, [Action(*m) for m in moves])


def test_a_natural_against_a_small_card_is_paid_at_the_deal():
    for title in TITLES:
        seeds = _deal(title, lambda v: {v[0], v[2]} == {1, 10} and 2 <= v[1] <= 9)
        step = _replay(title, seeds)
        assert step.finished
        assert step.multiplier == Fraction(5, 2)
        assert step.view["units_staked"] == "1"


def test_the_classic_dealer_peeks_under_a_ten_and_takes_only_the_original_unit():
    seeds = _deal(CLASSIC, lambda v: v[1] == 10 and v[3] == 1 and v[0] + v[2] != 11)
    step = _replay(CLASSIC, seeds)
    assert step.finished
    assert step.multiplier == 0
    assert step.view["dealer"]["blackjack"]
    assert len(step.view["cards"]) == 4


def test_without_a_hole_card_a_dealer_blackjack_takes_the_doubled_unit_too():
    # Player 5+6 against a ten; the double's card is 4th, the dealer's ace 5th.
    seeds = _deal(EUROPEAN, lambda v: v[0] + v[2] == 11 and v[1] == 10 and v[4] == 1, count=5)
    step = _replay(EUROPEAN, seeds, ("double",))
    assert step.finished
    assert step.view["dealer"]["blackjack"]
    assert step.view["units_staked"] == "2"
    assert step.multiplier == 0


def test_insurance_is_the_first_decision_under_an_ace_and_pays_two_to_one():
    for title in TITLES:
        # Classic: the hole card (4th) is a ten; European: the dealer's next card (4th, after
        # every player hand has stood) is.
        seeds = _deal(title, lambda v: v[1] == 1 and v[3] == 10 and v[0] + v[2] != 11)
        opened = _replay(title, seeds)
        assert not opened.finished
        assert opened.allowed == ("insurance",)
        moves = [("insurance", {"take": True})]
        if not HOLE_CARD[title.code]:
            moves.append(("stand",))
        step = _replay(title, seeds, *moves)
        assert step.finished
        assert step.view["units_staked"] == "3/2"
        assert step.multiplier == Fraction(3, 2)  # the main bet lost, insurance 1/2 at 2:1


def test_insurance_with_a_natural_is_even_money():
    for title in TITLES:
        for dealer_bj in (True, False):
            seeds = _deal(
                title,
                lambda v, bj=dealer_bj: (
                    v[1] == 1 and {v[0], v[2]} == {1, 10} and (v[3] == 10) == bj
                ),
            )
            step = _replay(title, seeds, ("insurance", {"take": True}))
            assert step.finished
            assert step.view["units_staked"] == "3/2"
            assert step.multiplier == Fraction(5, 2)


def test_a_split_commits_a_unit_and_deals_each_hand_its_second_card_in_turn():
    for title in TITLES:
        seeds = _deal(title, lambda v: v[0] == v[2] == 8 and v[1] == 6)
        step = _replay(title, seeds, ("split",))
        assert not step.finished
        assert step.view["units_staked"] == "2"
        first, second = step.view["hands"]
        assert len(first["cards"]) == 2
        assert len(second["cards"]) == 1
        assert ("double" in step.allowed) == (title is CLASSIC)  # double after split
        moves = [("split",), ("double",), ("double",)] if title is CLASSIC else [("split",)]
        if title is CLASSIC:
            done = _replay(title, seeds, *moves)
            assert done.finished
            assert done.view["units_staked"] == "4"
            assert done.multiplier in (0, 2, 4, 6, 8)


def test_split_aces_take_one_card_each_and_the_round_plays_out():
    seeds = _deal(CLASSIC, lambda v: v[0] == v[2] == 1 and v[1] == 6)
    step = _replay(CLASSIC, seeds, ("split",))
    assert step.finished
    assert [len(h["cards"]) for h in step.view["hands"]] == [2, 2]
    assert not any(h["blackjack"] for h in step.view["hands"])


def _open(v):
    """A deal that leaves the player to move: a small up card and no natural."""
    return 2 <= v[1] <= 9 and {v[0], v[2]} != {1, 10}


def _ace_up(v):
    return v[1] == 1


@pytest.mark.parametrize(
    ("title", "deal", "moves", "parameter"),
    [
        (CLASSIC, _open, [("surrender",)], None),
        (EUROPEAN, lambda v: _open(v) and v[0] + v[2] == 12, [("double",)], None),
        (CLASSIC, lambda v: _open(v) and v[0] != v[2], [("split",)], None),
        (CLASSIC, _open, [("insurance", {"take": False})], None),
        (CLASSIC, _ace_up, [("hit",)], None),
        (CLASSIC, _ace_up, [("insurance", {"take": "yes"})], "take"),
        (CLASSIC, _ace_up, [("insurance", {})], "take"),
        (CLASSIC, _ace_up, [("insurance", {"take": True, "amount": 1})], "amount"),
        (CLASSIC, _open, [("hit", {"card": "AS"})], "card"),
        (CLASSIC, _open, [("stand",), ("hit",)], None),  # standing on one hand ends the round
    ],
)
def test_moves_that_are_not_open_are_refused(title, deal, moves, parameter):
    seeds = _deal(title, deal)
    with pytest.raises(InvalidAction) as refused:
        _replay(title, seeds, *moves)
    if parameter is not None:
        assert refused.value.extra["parameter"] == parameter
    else:
        assert refused.value.extra["action"] == moves[-1][0]


# -- a million rounds of basic strategy --------------------------------------------------------


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_a_million_rounds_of_basic_strategy_land_in_the_99_percent_interval(title):
    server_seed, client_seed = simulation_seeds(f"{title.code}:basic")
    key = check_server_seed(server_seed).encode()
    sheet = par_sheet(title.code, "strategy=basic", title.distribution(BASIC))
    rounds = 1_000_000
    replay, basic, stream = title.replay, title.basic_action, NumberStream.of_checked
    counts: dict[tuple[int, str], int] = {}
    seen = {}
    for nonce in range(rounds):
        actions: list[Action] = []
        step = replay(stream(key, client_seed, nonce), {}, actions)
        while not step.finished:
            actions.append(basic(step))
            step = replay(stream(key, client_seed, nonce), {}, actions)
        # Counted by the multiplier object (shared constants) and the units text.
        k = (id(step.multiplier), step.view["units_staked"])
        if k in counts:
            counts[k] += 1
        else:
            counts[k], seen[k] = 1, step.multiplier
    returned = sum((seen[k] * n for k, n in counts.items()), Fraction(0))
    staked = sum((Fraction(k[1]) * n for k, n in counts.items()), Fraction(0))
    low, high = sheet.rtp_interval(rounds)
    assert low <= float(returned / staked) <= high
