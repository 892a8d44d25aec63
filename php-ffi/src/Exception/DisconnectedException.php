<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * The connection is closed or was lost (net.skypebus.Error.Disconnected, result code 10;
 * also org.freedesktop.DBus.Error.Disconnected).
 */
final class DisconnectedException extends DBusException
{
}
