<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * No reply within the timeout of the call (the "timeout" option, else the connection
 * default of 25 seconds). The name is org.freedesktop.DBus.Error.NoReply, as libdbus reports it,
 * and getCode() is 2; a NoReplyException that is not a TimeoutException means the peer is gone.
 */
final class TimeoutException extends NoReplyException
{
}
