<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * Connecting or authenticating to the bus failed (net.skypebus.Error.ConnectFailed,
 * result code 11).
 */
final class ConnectFailedException extends DBusException
{
}
