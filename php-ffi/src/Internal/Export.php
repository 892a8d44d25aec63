<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\IncomingCall;
use SkypeBus\PropertyWriteHandler;

/**
 * One exported object on the PHP side: its handler, what its XML declares, and how the
 * library's call and set_property events (decoded JSON) become the handler's method calls and
 * the answers to send back. Pure PHP; Bus does the FFI.
 *
 * An answer is ['reply', <reply JSON for skypebus_reply, or null>] or
 * ['error', <D-Bus error name>, <message>].
 *
 * @internal
 */
final class Export
{
    public const FAILED = 'org.freedesktop.DBus.Error.Failed';

    /** @var object */
    private $handler;

    /** @var ObjectSchema */
    private $schema;

    /** @var array<string, array<string, string>> interface => member => PHP method (or "__call") */
    private $bound;

    /** @var bool */
    private $typedVariants;

    /**
     * @throws InvalidArgumentException when the handler does not have a method for every
     *                                  declared one
     */
    public function __construct(object $handler, ObjectSchema $schema, bool $typedVariants)
    {
        $this->handler = $handler;
        $this->schema = $schema;
        $this->bound = $this->schema->bind($handler);
        $this->typedVariants = $typedVariants;
    }

    public function schema(): ObjectSchema
    {
        return $this->schema;
    }

    public function handler(): object
    {
        return $this->handler;
    }

    /**
     * The arguments of a call event as PHP values.
     *
     * @param array<string, mixed> $event
     * @return list<mixed>
     * @throws DBusException when the event's values do not match its signature
     */
    public function arguments(array $event): array
    {
        $data = $event['data'] ?? [];
        return ReplyDecoder::decodeValues(is_array($data) ? $data : [], (string) ($event['type'] ?? ''), $this->typedVariants);
    }

    /**
     * Runs the handler's method for a call event and says how to answer.
     *
     * @param array<string, mixed> $event
     * @return array{0: string, 1: string|null, 2?: string, values?: list<mixed>}
     */
    public function answerCall(array $event, IncomingCall $call): array
    {
        $interface = $call->getInterface();
        $member = $call->getMember();
        $method = $this->bound[$interface][$member] ?? null;
        $outTypes = $this->schema->outTypes($interface, $member);
        if ($method === null || $outTypes === null) {
            return ['error', 'org.freedesktop.DBus.Error.UnknownMethod', sprintf(
                'No method %s.%s on %s',
                $interface,
                $member,
                $call->getPath()
            )];
        }
        try {
            $args = $this->arguments($event);
            $result = $method === '__call'
                ? $this->handler->__call($member, $args)
                : $this->handler->{$method}(...$args);
        } catch (\Throwable $e) {
            return self::errorFor($e);
        }
        $count = count($outTypes);
        if ($count === 0) {
            return ['reply', null];
        }
        if ($count === 1) {
            $values = [$result];
        } elseif (is_array($result) && Values::isList($result) && count($result) === $count) {
            $values = $result;
        } else {
            return ['error', self::FAILED, sprintf(
                '%s.%s returned %s, but its out signature "%s" needs a list of %d values',
                $interface,
                $member,
                Values::describe($result),
                implode('', $outTypes),
                $count
            )];
        }
        try {
            // The values go along until the reply is sent: an Fd among them must stay open.
            return ['reply', RequestEncoder::encodeReply($values, $outTypes), 'values' => $values];
        } catch (InvalidArgumentException $e) {
            return self::misfit($interface, $member, $outTypes, $e->getMessage());
        }
    }

    /**
     * The error answer for return values the library found not to fit the out signature.
     *
     * @param list<string>|null $outTypes
     * @return array{0: string, 1: string, 2: string}
     */
    public static function misfit(string $interface, string $member, ?array $outTypes, string $why): array
    {
        return ['error', self::FAILED, sprintf(
            'The return value of %s.%s does not fit its out signature "%s": %s',
            $interface,
            $member,
            implode('', $outTypes ?? []),
            $why
        )];
    }

    /**
     * Asks the handler whether a remote Properties.Set may store its value: accepted unless
     * the handler implements PropertyWriteHandler and throws.
     *
     * @param array<string, mixed> $event
     * @return array{0: string, 1: string|null, 2?: string}
     */
    public function answerPropertyWrite(array $event): array
    {
        if (!$this->handler instanceof PropertyWriteHandler) {
            return ['reply', null];
        }
        try {
            $value = ReplyDecoder::fromJson($event['data'] ?? null, (string) ($event['type'] ?? 'v'), $this->typedVariants);
            $this->handler->onPropertyWrite((string) ($event['interface'] ?? ''), (string) ($event['name'] ?? ''), $value);
        } catch (\Throwable $e) {
            return self::errorFor($e);
        }
        return ['reply', null];
    }

    /**
     * A DBusException's own name and message; any other exception is
     * org.freedesktop.DBus.Error.Failed with its message.
     *
     * @return array{0: string, 1: string, 2: string}
     */
    public static function errorFor(\Throwable $e): array
    {
        if ($e instanceof DBusException) {
            return ['error', $e->getErrorName(), $e->getMessage()];
        }
        return ['error', self::FAILED, $e->getMessage()];
    }
}
