//! Topological ordering with cycle extraction, iterative so that 100,000-element
//! dependency chains do not overflow the stack.

use std::collections::HashMap;

/// Order `ids` so that each comes after the members of `deps[k]` (the dependencies of
/// `ids[k]`, given as ids; ids outside `ids` are ignored). Ties keep declaration order.
/// On a cycle, returns the ids on it, in dependency order.
pub fn topological(ids: &[usize], deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let pos: HashMap<usize, usize> = ids.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state = vec![0u8; ids.len()];
    let mut order = Vec::with_capacity(ids.len());
    for start in 0..ids.len() {
        if state[start] != 0 {
            continue;
        }
        // Stack of (node, next dependency index).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep_id) = deps[node].get(*next) {
                *next += 1;
                let Some(&dep) = pos.get(&dep_id) else {
                    continue;
                };
                match state[dep] {
                    0 => {
                        state[dep] = 1;
                        stack.push((dep, 0));
                    }
                    1 => {
                        // A cycle: the stack from `dep` to the top.
                        let from = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                        let mut cycle: Vec<usize> =
                            stack[from..].iter().map(|&(n, _)| ids[n]).collect();
                        cycle.reverse();
                        return Err(cycle);
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                order.push(ids[node]);
                stack.pop();
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_dependencies_first() {
        // 10 reads 12, 12 reads 11.
        let ids = [10, 11, 12];
        let deps = vec![vec![12], vec![], vec![11]];
        assert_eq!(topological(&ids, &deps), Ok(vec![11, 12, 10]));
    }

    #[test]
    fn reports_the_whole_cycle() {
        let ids = [1, 2, 3, 4];
        let deps = vec![vec![2], vec![3], vec![1], vec![]];
        let cycle = topological(&ids, &deps).unwrap_err();
        assert_eq!(cycle.len(), 3);
        for x in [1, 2, 3] {
            assert!(cycle.contains(&x));
        }
    }

    #[test]
    fn long_chains_do_not_overflow() {
        let n = 200_000;
        let ids: Vec<usize> = (0..n).collect();
        let deps: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        let order = topological(&ids, &deps).unwrap();
        assert_eq!(order[0], n - 1);
    }
}
