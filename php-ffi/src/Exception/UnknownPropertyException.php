<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * The object has no such property (org.freedesktop.DBus.Error.UnknownProperty).
 */
final class UnknownPropertyException extends DBusException
{
}
