<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * No reply came: the bus says the peer left without answering
 * (org.freedesktop.DBus.Error.NoReply sent by the bus, result code 1).
 *
 * Its subclass TimeoutException is the local timeout: the peer may still be there, just slow.
 * Catch NoReplyException for both.
 */
class NoReplyException extends DBusException
{
}
