/**
 * Given/when/then for deciders, in the spirit of Emmett's DeciderSpecification:
 * given past events, when a command is decided, then these events (or this error).
 */
export interface Decider<State, Command, Event> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[];
}

export function deciderSpecification<State, Command, Event>(decider: Decider<State, Command, Event>) {
  return {
    given(events: Event[]) {
      const state = events.reduce(decider.evolve, decider.initialState());
      return {
        when(command: Command) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: Event[]) {
              expect(run()).toEqual(expected);
            },
            thenState(assess: (next: State, emitted: Event[]) => void) {
              const emitted = run();
              assess(emitted.reduce(decider.evolve, state), emitted);
            },
            thenThrows(errorType: abstract new (...args: never[]) => Error, message?: RegExp) {
              let caught: unknown;
              try {
                run();
              } catch (error) {
                caught = error;
              }
              expect(caught).toBeInstanceOf(errorType);
              if (message) expect((caught as Error).message).toMatch(message);
            },
          };
        },
      };
    },
  };
}
