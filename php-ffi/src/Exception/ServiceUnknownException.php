<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * No such service: nobody owns the destination name and it cannot be activated
 * (org.freedesktop.DBus.Error.ServiceUnknown, and org.freedesktop.DBus.Error.NameHasNoOwner).
 */
final class ServiceUnknownException extends DBusException
{
}
