<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * The object has no such interface (org.freedesktop.DBus.Error.UnknownInterface).
 */
final class UnknownInterfaceException extends DBusException
{
}
