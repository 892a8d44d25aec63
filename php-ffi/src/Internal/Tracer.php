<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

/**
 * Where a connection's messages are told, one line each in a busctl-like form: to the PSR-3
 * logger of Bus::setLogger() (debug; error replies at info), and, with the environment
 * variable SKYPEBUS_TRACE set, to standard error ("1", "stderr") or appended to a file (a path).
 *
 *     -> call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetNameOwner ["org.freedesktop.DBus"]
 *     <- return org.freedesktop.DBus.GetNameOwner [":1.3"] (0.2 ms)
 *     <- error org.freedesktop.DBus.GetNameOwner org.freedesktop.DBus.Error.NameHasNoOwner: ... (0.1 ms)
 *     -> signal /org/example/Player org.example.Player.Changed "sd" ["volume",0.5]
 *     <- signal :1.7 /org/example/Player org.example.Player.Changed "sd" ["volume",0.5]
 *     <- call :1.9 /org/example/Greeter org.example.Greeter.Hello "s"
 *
 * Connections without either have no Tracer: the call path then costs one null check.
 *
 * @internal
 */
final class Tracer
{
    /** The environment variable of the trace switch. */
    public const ENVIRONMENT = 'SKYPEBUS_TRACE';

    /** Longest argument text of a line; longer ones are cut with "...". */
    private const MAX_ARGS = 512;

    /** @var object|null a Psr\Log\LoggerInterface */
    private $logger;

    /** @var resource|null */
    private $stream;

    /**
     * @param object|null $logger a Psr\Log\LoggerInterface
     * @param resource|null $stream
     */
    private function __construct(?object $logger, $stream)
    {
        $this->logger = $logger;
        $this->stream = $stream;
    }

    /**
     * The tracer a connection starts with: SKYPEBUS_TRACE's, else none.
     *
     * @throws \SkypeBus\Exception\InvalidArgumentException when the trace file cannot be opened
     */
    public static function fromEnvironment(): ?self
    {
        $stream = self::stream();
        return $stream === null ? null : new self(null, $stream);
    }

    /**
     * This tracer with another logger (null: none); null when nothing is left to tell.
     *
     * @param object|null $logger a Psr\Log\LoggerInterface
     */
    public static function withLogger(?self $tracer, ?object $logger): ?self
    {
        if ($logger !== null && !method_exists($logger, 'log')) {
            throw Errors::invalid(sprintf('The logger must be a Psr\\Log\\LoggerInterface, %s given', get_class($logger)));
        }
        $stream = $tracer !== null ? $tracer->stream : self::stream();
        return $logger === null && $stream === null ? null : new self($logger, $stream);
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
        if ($this->stream !== null) {
            fwrite($this->stream, 'skypebus ' . $line . "\n");
        }
        if ($this->logger !== null) {
            $this->logger->log($level, $line, ['component' => 'skypebus']);
        }
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

    /**
     * SKYPEBUS_TRACE's stream: standard error for "1"/"stderr", a file opened for appending for
     * a path, none when unset, empty or "0".
     *
     * @return resource|null
     */
    private static function stream()
    {
        $value = getenv(self::ENVIRONMENT);
        if ($value === false || $value === '' || $value === '0') {
            return null;
        }
        if ($value === '1' || $value === 'stderr') {
            return defined('STDERR') ? STDERR : (fopen('php://stderr', 'w') ?: null);
        }
        $stream = @fopen($value, 'a');
        if ($stream === false) {
            throw Errors::invalid(sprintf('%s=%s: the trace file cannot be opened for appending (use 1 for standard error)', self::ENVIRONMENT, $value));
        }
        return $stream;
    }
}
