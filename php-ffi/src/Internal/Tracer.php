<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

/**
 * Where a connection's messages are told to the PSR-3 logger of Bus::setLogger(), one line each
 * in a busctl-like form with the PHP values and the round trip time (debug; error replies at
 * info):
 *
 *     -> call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetNameOwner ["org.freedesktop.DBus"]
 *     <- return org.freedesktop.DBus.GetNameOwner [":1.3"] (0.2 ms)
 *     <- error org.freedesktop.DBus.GetNameOwner org.freedesktop.DBus.Error.NameHasNoOwner: ... (0.1 ms)
 *     -> signal /org/example/Player org.example.Player.Changed "sd" ["volume",0.5]
 *     <- signal :1.7 /org/example/Player org.example.Player.Changed "sd" ["volume",0.5]
 *     <- call :1.9 /org/example/Greeter org.example.Greeter.Hello "s"
 *
 * The environment switch SKYPEBUS_TRACE is the library's (it traces every message of C programs
 * and of PHP on the wire, docs/php.md "Logging and tracing"); nothing here writes for it, so
 * its lines are never doubled. Connections without a logger have no Tracer: the call path then
 * costs one null check.
 *
 * @internal
 */
final class Tracer
{
    /** Longest argument text of a line; longer ones are cut with "...". */
    private const MAX_ARGS = 512;

    /** @var object a Psr\Log\LoggerInterface */
    private $logger;

    /**
     * @param object $logger a Psr\Log\LoggerInterface
     */
    private function __construct(object $logger)
    {
        $this->logger = $logger;
    }

    /**
     * The tracer of a logger (null: none).
     *
     * @param object|null $logger a Psr\Log\LoggerInterface
     */
    public static function withLogger(?object $logger): ?self
    {
        if ($logger === null) {
            return null;
        }
        if (!method_exists($logger, 'log')) {
            throw Errors::invalid(sprintf('The logger must be a Psr\\Log\\LoggerInterface, %s given', get_class($logger)));
        }
        return new self($logger);
    }

    /** @param list<mixed> $args */
    public function call(CallTarget $target, array $args): void
    {
        $this->line('debug', sprintf(
            '-> call %s %s %s%s%s %s',
            $target->destination === '' ? '-' : $target->destination,
            $target->path,
            $target->interface !== null && $target->interface !== '' ? $target->interface . '.' : '',
            $target->method,
            $target->signature !== null ? ' "' . $target->signature . '"' : '',
            self::values($args)
        ));
    }

    /** @param list<mixed> $values */
    public function reply(CallTarget $target, array $values, float $started): void
    {
        $this->line('debug', sprintf('<- return %s %s (%s)', self::member($target), self::values($values), self::since($started)));
    }

    public function error(CallTarget $target, \Throwable $e, float $started): void
    {
        $name = $e instanceof \SkypeBus\Exception\SkypeBusException ? $e->getErrorName() : get_class($e);
        $this->line('info', sprintf('<- error %s %s: %s (%s)', self::member($target), $name, $e->getMessage(), self::since($started)));
    }

    /** @param list<mixed> $args */
    public function emitted(string $path, string $interface, string $member, ?string $signature, array $args, ?string $destination): void
    {
        $this->line('debug', sprintf(
            '-> signal %s%s %s.%s%s %s',
            $destination !== null ? $destination . ' ' : '',
            $path,
            $interface,
            $member,
            $signature !== null ? ' "' . $signature . '"' : '',
            self::values($args)
        ));
    }

    public function signal(\SkypeBus\Signal $signal): void
    {
        $this->line('debug', sprintf(
            '<- signal %s %s %s.%s "%s" %s',
            $signal->getSender(),
            $signal->getPath(),
            $signal->getInterface(),
            $signal->getMember(),
            $signal->getSignature(),
            $signal->getDecodeError() ?? self::values($signal->getArgs())
        ));
    }

    public function incoming(\SkypeBus\IncomingCall $call): void
    {
        $this->line('debug', sprintf(
            '<- call %s %s %s.%s "%s"',
            $call->getSender(),
            $call->getPath(),
            $call->getInterface(),
            $call->getMember(),
            $call->getSignature()
        ));
    }

    private function line(string $level, string $line): void
    {
        $this->logger->log($level, $line, ['component' => 'skypebus']);
    }

    private static function member(CallTarget $target): string
    {
        return ($target->interface !== null && $target->interface !== '' ? $target->interface . '.' : '') . $target->method;
    }

    private static function since(float $started): string
    {
        return sprintf('%.1f ms', (microtime(true) - $started) * 1000);
    }

    /** @param list<mixed> $values */
    private static function values(array $values): string
    {
        $text = json_encode($values, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);
        $text = is_string($text) ? $text : '[?]';
        return strlen($text) > self::MAX_ARGS ? substr($text, 0, self::MAX_ARGS) . '...' : $text;
    }
}
