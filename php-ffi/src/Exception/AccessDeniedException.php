<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * The bus or the peer refused the call (org.freedesktop.DBus.Error.AccessDenied).
 */
final class AccessDeniedException extends DBusException
{
}
