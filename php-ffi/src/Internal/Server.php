<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Bus;
use SkypeBus\ExportedObject;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\IncomingCall;

/**
 * Bus's serving side: the exported objects (path => Export), the well-known names owned, and
 * the answers to the call and property-write events the event loop hands over (the handler runs
 * here, the answer goes back through Native).
 *
 * @internal
 */
final class Server
{
    /** @var Connection */
    private $connection;

    /** @var array<string, Export> exported path => its handler */
    private $exports = [];

    /** @var array<string, true> well-known names we own, as far as the bus told us */
    private $ownedNames = [];

    /** @var IncomingCall|null the call a handler is answering */
    private $currentCall;

    /** @var int calls and property writes answered, for serve() and process() */
    public $answered = 0;

    /** @var Credentials the callers' credentials, for IncomingCall::getCredentials() */
    private $credentials;

    public function __construct(Connection $connection, Credentials $credentials)
    {
        $this->connection = $connection;
        $this->credentials = $credentials;
    }

    /**
     * Bus::export(), documented there.
     *
     * @param array<string, mixed> $options
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function export(Bus $bus, string $path, object $handler, string $introspectionXml, array $options): ExportedObject
    {
        $typed = false;
        $properties = null;
        $manager = false;
        foreach ($options as $key => $value) {
            switch ((string) $key) {
                case 'variants':
                    if ($value !== 'typed' && $value !== 'plain') {
                        throw Errors::invalid('The export option "variants" must be "typed" or "plain"');
                    }
                    $typed = $value === 'typed';
                    break;
                case 'properties':
                    if (!is_array($value)) {
                        throw Errors::invalid('The export option "properties" must be an array of interface => [property => value]');
                    }
                    $properties = $value;
                    break;
                case 'objectManager':
                    if (!is_bool($value)) {
                        throw Errors::invalid(sprintf('The export option "objectManager" must be a bool, %s given', Values::describe($value)));
                    }
                    $manager = $value;
                    break;
                default:
                    throw Errors::invalid(sprintf('Unknown export option "%s"; the options are: variants, properties, objectManager', $key));
            }
        }
        $native = $this->connection->native;
        // The library parses the XML (as skypebus_export will), so PHP needs no XML parser.
        ObjectSchema::assertNodeRoot($introspectionXml);
        $schema = ObjectSchema::fromJson(ReplyDecoder::decodeJson($native->exportSchema($introspectionXml), 'the export schema'));
        $export = new Export($handler, $schema, $typed);
        $request = ['variants' => 'typed', 'bytes' => 'base64'];
        if ($manager) {
            $request['object_manager'] = true;
        }
        if ($properties !== null) {
            $values = new \stdClass();
            foreach ($properties as $interface => $list) {
                if (!is_array($list)) {
                    throw Errors::invalid(sprintf('The export option "properties" for %s must be an array of property => value', $interface));
                }
                $prepared = new \stdClass();
                foreach ($list as $name => $value) {
                    $type = $export->schema()->propertyType((string) $interface, (string) $name);
                    $prepared->{$name} = RequestEncoder::prepareProperty($value, $type ?? 'v');
                }
                $values->{$interface} = $prepared;
            }
            $request['properties'] = $values;
        }
        $json = RequestEncoder::encode($request);
        $this->connection->ensurePrivate();
        $native->export($this->connection->handle(), $path, $introspectionXml, $json);
        $this->exports[$path] = $export;
        return new ExportedObject($bus, $path);
    }

    /** How many callers' credentials are cached. */
    public function cachedCredentials(): int
    {
        return $this->credentials->cached();
    }

    /** @throws InvalidArgumentException|SkypeBusException */
    public function unexport(string $path): void
    {
        $this->connection->native->unexport($this->connection->handle(), $path);
        unset($this->exports[$path]);
    }

    public function isExported(string $path): bool
    {
        return $this->connection->handle !== null && isset($this->exports[$path]);
    }

    /**
     * @param mixed $value
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function setExportedProperty(string $path, string $interface, string $name, $value): void
    {
        $export = $this->exports[$path] ?? null;
        $type = $export !== null ? $export->schema()->propertyType($interface, $name) : null;
        $json = RequestEncoder::encode(RequestEncoder::prepareProperty($value, $type ?? 'v'));
        $this->connection->native->setProperty($this->connection->handle(), $path, $interface, $name, $json);
    }

    public function currentCall(): ?IncomingCall
    {
        return $this->currentCall;
    }

    /**
     * Bus::requestName(), documented there.
     *
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function requestName(string $name, $flags): int
    {
        $flags = self::nameFlags($flags);
        $this->connection->ensurePrivate();
        $answer = $this->connection->native->requestName($this->connection->handle(), $name, $flags);
        if ($answer === Bus::NAME_PRIMARY_OWNER || $answer === Bus::NAME_ALREADY_OWNER) {
            $this->ownedNames[$name] = true;
        }
        if ($answer === Bus::NAME_EXISTS) {
            throw Errors::nameTaken($name, $this->nameOwner($name));
        }
        return $answer;
    }

    /**
     * The D-Bus flags of requestName()'s $flags (an options array or an int of Bus::NAME_*):
     * NAME_DO_NOT_QUEUE unless NAME_QUEUE (or 'queue') asks for the queue.
     *
     * @param mixed $flags
     * @throws InvalidArgumentException
     */
    public static function nameFlags($flags): int
    {
        if (is_array($flags)) {
            $bits = ['allowReplacement' => Bus::NAME_ALLOW_REPLACEMENT, 'replaceExisting' => Bus::NAME_REPLACE_EXISTING, 'queue' => Bus::NAME_QUEUE];
            $options = $flags;
            $flags = 0;
            foreach ($options as $key => $value) {
                if (!isset($bits[$key])) {
                    throw Errors::invalid(sprintf('Unknown requestName option "%s"; the options are: %s', $key, implode(', ', array_keys($bits))));
                }
                if (!is_bool($value)) {
                    throw Errors::invalid(sprintf('The requestName option "%s" must be a bool, %s given', $key, Values::describe($value)));
                }
                $flags |= $value ? $bits[$key] : 0;
            }
        }
        if (!is_int($flags) || $flags < 0 || $flags > 0xffffffff) {
            throw Errors::invalid(sprintf('Invalid requestName flags %s: give an options array or an OR of Bus::NAME_* flags', Values::describe($flags)));
        }
        if (($flags & Bus::NAME_QUEUE) === 0) {
            return $flags | Bus::NAME_DO_NOT_QUEUE;
        }
        if (($flags & Bus::NAME_DO_NOT_QUEUE) !== 0) {
            throw Errors::invalid('requestName(): Bus::NAME_QUEUE and Bus::NAME_DO_NOT_QUEUE contradict each other');
        }
        return $flags & ~Bus::NAME_QUEUE;
    }

    /** The unique name owning $name, null when it cannot be told (for the refusal's message). */
    private function nameOwner(string $name): ?string
    {
        try {
            $target = CallTarget::of('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetNameOwner', 's');
            $reply = $this->connection->native->call(
                $this->connection->handle(),
                RequestEncoder::encodeCall($target, [$name], CallOptions::fromArray([])),
                HeaderConstants::REPLY_PHP
            );
            $values = is_array($reply) ? $reply : ReplyDecoder::decodeSerialized($reply);
            return isset($values[0]) && is_string($values[0]) ? $values[0] : null;
        } catch (SkypeBusException $e) {
            return null;
        }
    }

    /** @throws InvalidArgumentException|SkypeBusException */
    public function releaseName(string $name): int
    {
        $answer = $this->connection->native->releaseName($this->connection->handle(), $name);
        unset($this->ownedNames[$name]);
        return $answer;
    }

    /** @return list<string> */
    public function ownedNames(): array
    {
        return array_keys($this->ownedNames);
    }

    /** Notes a name_acquired (true) or name_lost (false) event. */
    public function noteName(string $name, bool $owned): void
    {
        if ($owned) {
            $this->ownedNames[$name] = true;
        } else {
            unset($this->ownedNames[$name]);
        }
    }

    /** Forgets the exports and names (the connection closed). */
    public function reset(): void
    {
        $this->exports = [];
        $this->ownedNames = [];
        $this->credentials->reset();
    }

    /**
     * Runs the handler of a call event and answers the call.
     *
     * @param array<string, mixed> $event
     */
    public function answerCall(array $event): void
    {
        $handle = (int) ($event['call'] ?? 0);
        $call = new IncomingCall(
            (string) ($event['sender'] ?? ''),
            (string) ($event['path'] ?? ''),
            (string) ($event['interface'] ?? ''),
            (string) ($event['member'] ?? ''),
            (string) ($event['type'] ?? ''),
            (bool) ($event['no_reply'] ?? false),
            \Closure::fromCallable([$this->credentials, 'of'])
        );
        if ($this->connection->tracer !== null) {
            $this->connection->tracer->incoming($call);
        }
        $export = $this->exports[$call->getPath()] ?? null;
        if ($export === null) {
            $answer = ['error', 'org.freedesktop.DBus.Error.UnknownObject', 'No object at ' . $call->getPath()];
        } else {
            $previous = $this->currentCall;
            $this->currentCall = $call;
            try {
                $answer = $export->answerCall($event, $call);
            } finally {
                $this->currentCall = $previous;
            }
        }
        $this->send($handle, $answer, $call->getInterface(), $call->getMember(), $export);
    }

    /**
     * Lets the handler accept or refuse a remote property write, and answers it.
     *
     * @param array<string, mixed> $event
     */
    public function answerPropertyWrite(array $event): void
    {
        $export = $this->exports[(string) ($event['path'] ?? '')] ?? null;
        $answer = $export !== null
            ? $export->answerPropertyWrite($event)
            : ['error', 'org.freedesktop.DBus.Error.UnknownObject', 'No object at ' . (string) ($event['path'] ?? '')];
        $this->send((int) ($event['call'] ?? 0), $answer, (string) ($event['interface'] ?? ''), (string) ($event['name'] ?? ''), null);
    }

    /**
     * Sends an answer: a reply whose values the library refuses (they do not fit the declared
     * out signature) becomes a Failed error saying why, and an error name the library refuses
     * becomes Failed with the handler's message. A Bus closed by the handler sends nothing.
     *
     * @param array{0: string, 1: string|null, 2?: string, values?: list<mixed>} $answer (values:
     *        what the reply's JSON was made of, kept until it is sent)
     */
    private function send(int $call, array $answer, string $interface, string $member, ?Export $export): void
    {
        $handle = $this->connection->handle;
        if ($handle === null) {
            return;
        }
        $native = $this->connection->native;
        $this->answered++;
        if ($answer[0] === 'reply') {
            $refused = $native->reply($handle, $call, $answer[1]);
            if ($refused === null) {
                return;
            }
            [$result, $message] = $refused;
            if (
                $result !== ResultCode::TYPE_MISMATCH && $result !== ResultCode::INVALID_JSON && $result !== ResultCode::INVALID_REQUEST
                && $result !== ResultCode::INVALID_UTF8 && $result !== ResultCode::LIMIT_EXCEEDED
            ) {
                return;
            }
            $outTypes = $export !== null ? $export->schema()->outTypes($interface, $member) : null;
            $answer = Export::misfit($interface, $member, $outTypes, $message);
        }
        $result = $native->replyError($handle, $call, (string) $answer[1], $answer[2] ?? '');
        if ($result === ResultCode::INVALID_NAME) {
            $native->replyError(
                $handle,
                $call,
                Export::FAILED,
                sprintf('%s (the handler gave the invalid error name "%s")', $answer[2] ?? '', $answer[1])
            );
        }
    }
}
