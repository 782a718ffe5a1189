declare module 'lucene' {
  /** The parts of lucene's AST keyledger reads. */
  export interface TermNode {
    field: string;
    term: string;
    quoted: boolean;
    regex: boolean;
    prefix: string | null;
  }
  export interface RangeNode {
    field: string;
    term_min: string;
    term_max: string;
    inclusive: 'both' | 'left' | 'right' | 'none';
  }
  export interface BinaryNode {
    left: AstNode;
    operator?: string;
    right?: AstNode;
    start?: string;
    parenthesized?: boolean;
    field?: string;
  }
  export type AstNode = TermNode | RangeNode | BinaryNode;
  export function parse(query: string): AstNode;
}
