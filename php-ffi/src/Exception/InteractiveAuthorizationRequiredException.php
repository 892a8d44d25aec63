<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * The service would have allowed the call after asking the user (polkit), but the call did not
 * allow interactive authorization
 * (org.freedesktop.DBus.Error.InteractiveAuthorizationRequired): call again with the option
 * 'allowInteractiveAuthorization' => true (and a timeout long enough for the user to answer).
 */
final class InteractiveAuthorizationRequiredException extends DBusException
{
}
