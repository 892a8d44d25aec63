<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * The peer rejected the arguments (org.freedesktop.DBus.Error.InvalidArgs).
 */
final class InvalidArgsException extends DBusException
{
}
