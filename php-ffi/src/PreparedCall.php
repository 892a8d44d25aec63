<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\Calls;
use SkypeBus\Internal\CallTarget;

/**
 * One method of one object, made ready once by Bus::prepare() and called like a function:
 * $echo = $bus->prepare($destination, $path, $interface, 'Echo', 's'); $echo('hello') returns
 * the list of the reply's values, as Bus::call() does. Its target, the JSON head of its
 * requests, the complete types of its signature and its options are made once, so a call
 * does only what differs from call to call: the arguments and the reply.
 *
 * It holds no C handle of its own: it calls through its Bus's connection, and after
 * Bus::close() it throws as Bus::call() does.
 */
final class PreparedCall implements PreparedCallInterface
{
    /** @var Calls */
    private $calls;

    /** @var CallTarget */
    private $target;

    /** @var CallOptions */
    private $options;

    /** @internal made by Bus::prepare() */
    public function __construct(Calls $calls, CallTarget $target, CallOptions $options)
    {
        $this->calls = $calls;
        $this->target = $target;
        $this->options = $options;
    }

    /**
     * Calls the method with these arguments; returns the list of the reply's values (empty for
     * none, and for the 'noReply' option).
     *
     * @param mixed ...$args
     * @return list<mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function __invoke(...$args): array
    {
        return $this->calls->call($this->target, $args, $this->options);
    }

    /**
     * The same, with the arguments as one list.
     *
     * @param list<mixed> $args
     * @return list<mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function call(array $args = []): array
    {
        return $this->calls->call($this->target, $args, $this->options);
    }

    /** The method's name, with its interface when it has one ("org.example.Iface.Method"). */
    public function getName(): string
    {
        $interface = $this->target->interface;
        return ($interface === null || $interface === '' ? '' : $interface . '.') . $this->target->method;
    }
}
