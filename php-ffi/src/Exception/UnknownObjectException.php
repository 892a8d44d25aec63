<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * The peer has no object at that path (org.freedesktop.DBus.Error.UnknownObject).
 */
final class UnknownObjectException extends DBusException
{
}
