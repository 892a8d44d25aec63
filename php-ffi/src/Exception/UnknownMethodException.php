<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * The peer has no such method, or not with these argument types
 * (org.freedesktop.DBus.Error.UnknownMethod).
 */
final class UnknownMethodException extends DBusException
{
}
