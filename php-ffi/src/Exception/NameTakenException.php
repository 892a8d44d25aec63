<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * Bus::requestName() was refused: another connection owns the name, and the request did not ask
 * to wait in the name's queue (Bus::NAME_QUEUE, or ['queue' => true]) nor could it take the name
 * over. Nothing was queued. The name is "net.skypebus.Error.NameTaken"; the message names the
 * owner's unique name.
 */
final class NameTakenException extends DBusException
{
}
