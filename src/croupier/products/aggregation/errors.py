"""Errors of game aggregation, each with a stable code in the ``aggregation.`` namespace."""

from __future__ import annotations

from croupier.kernel.errors import DomainError, Forbidden


class AggregationError(DomainError):
    status = 422


class InvalidProviderName(AggregationError):
    code = "aggregation.invalid_provider_name"
    title = "A provider's name is 2-40 lower-case letters, digits and hyphens"


class ProviderNameReserved(DomainError):
    # The in-house game server is listed as provider ``croupier``; nobody else may take it.
    code = "aggregation.provider_name_reserved"
    status = 409
    title = "This provider name is reserved"


class ProviderExists(DomainError):
    code = "aggregation.provider_exists"
    status = 409
    title = "A provider with this name is registered already"


class UnsupportedProtocol(AggregationError):
    code = "aggregation.unsupported_protocol"
    title = "croupier has no adapter for this provider protocol"


class InvalidPublicKey(AggregationError):
    code = "aggregation.invalid_public_key"
    title = "The provider's public key is not an RSA public key in PEM form"


class PublicKeyTooShort(AggregationError):
    code = "aggregation.public_key_too_short"
    title = "The provider's RSA public key is shorter than 2048 bits"


class ProviderNotFound(DomainError):
    code = "aggregation.provider_not_found"
    status = 404
    title = "There is no such game provider"


class GameExists(DomainError):
    code = "aggregation.game_exists"
    status = 409
    title = "The provider has a game with this code already"


class InvalidGameCode(AggregationError):
    code = "aggregation.invalid_game_code"
    title = "A game's code is 1-64 letters, digits and . _ - characters"


class InvalidGameName(AggregationError):
    code = "aggregation.invalid_game_name"
    title = "A game's name is 1-120 printable characters"


class UnknownCategory(AggregationError):
    code = "aggregation.unknown_category"
    title = "The game category is not one of the catalogue's categories"


class InvalidRtp(AggregationError):
    code = "aggregation.invalid_rtp"
    title = "The theoretical RTP is a decimal percentage above 0 and at most 100"


class UnknownJurisdiction(AggregationError):
    code = "aggregation.unknown_jurisdiction"
    title = "The jurisdiction is not in croupier's rule base"


class UnknownCountry(AggregationError):
    code = "aggregation.unknown_country"
    title = "The country is not an ISO 3166-1 alpha-2 code"


class InvalidLaunchUrl(AggregationError):
    code = "aggregation.invalid_launch_url"
    title = "A provider's launch URL is an absolute https URL (http outside production)"


class GameNotFound(DomainError):
    code = "aggregation.game_not_found"
    status = 404
    title = "There is no such provider game"


class InHouseTitle(AggregationError):
    # The in-house titles are played on our own game server, not launched at a provider.
    code = "aggregation.in_house_title"
    title = "In-house titles are played at /api/v1/games/{code}/rounds, not launched"


class ProviderDisabled(Forbidden):
    code = "aggregation.provider_disabled"
    title = "The game's provider is disabled"


class ProviderNotLaunchable(DomainError):
    code = "aggregation.provider_not_launchable"
    status = 409
    title = "The game's provider has no launch URL"


class GameNotOfferedInJurisdiction(Forbidden):
    code = "aggregation.game_not_offered_in_jurisdiction"
    title = "The game is not offered in the player's jurisdiction"


class GameBlockedInCountry(Forbidden):
    code = "aggregation.game_blocked_in_country"
    title = "The game must not be offered in the player's country"


class GameSessionInvalid(DomainError):
    # Unknown and expired tokens answer alike: a guess learns nothing about real tokens.
    code = "aggregation.game_session_invalid"
    status = 401
    title = "The game session token is unknown or expired"


class GameSessionSuperseded(DomainError):
    code = "aggregation.game_session_superseded"
    status = 409
    title = "A newer game session of this player at this provider takes the bets"
